// An attacker that is not gibkit's code (the npm `ws` package) against a
// running gibd; tests/e2e/hostile_load_test.sh drives it. It keeps up its
// load until it gets SIGTERM (or its own deadline passes), then prints one
// summary line. Every line it prints is one JSON object.
//
//   swarm <ws-url> <silent> <junk> [local-addresses] [silent-once]
//     <silent> connections that upgrade and then send nothing, and <junk>
//     connections that each send one small request whose body is not a saga
//     message (not JSON, or JSON of the wrong shape) in gibkit's envelope
//     (docs/transport.md, "Wire format"). Every connection, of either kind,
//     reconnects as soon as it is closed, so the load stays up for as long
//     as the attacker runs (with `silent-once`, silent connections are
//     opened once and not reopened; junk ones still are). Prints
//       {"event":"ready",...}  once every silent slot has been upgraded and
//                              every junk slot has sent a request, at least once;
//       {"event":"summary",...} at the end: connections opened, closes seen
//                              (by code, and who closed), error codes received,
//                              how many were open when it stopped, and the
//                              fewest/most open while the load ran.
//   bodies <ws-url> <count> <bytes> <frame-bytes> [local-addresses]
//     Opens <count> connections at once; once all are upgraded prints
//     {"event":"ready",...} and then sends on each one request of <bytes>
//     body bytes ('[{},{},...]', JSON) as parts of <frame-bytes> (the
//     envelope's multi-part form, header `parts` = the real count). A part
//     is written only once the previous one left for the socket, so the
//     attacker holds one part per connection, not the whole body. A
//     connection that is closed reconnects and sends the body again, until
//     the end. Prints {"event":"summary",...} at the end.
//
// local-addresses: comma-separated loopback addresses (127.0.0.2,...) that
// the connections are bound to, round robin, as if they came from that
// many hosts. Default: the system's choice (127.0.0.1).
'use strict';
const WebSocket = require('ws');

const [which, url, ...rest] = process.argv.slice(2);
const kDeadlineMs = 110000;  // a wedged run ends instead of hanging the test

function print(object) { process.stdout.write(JSON.stringify(object) + '\n'); }
function header(fields) { return JSON.stringify(Object.assign({ v: 1 }, fields)); }
function requestPart(id, body, part, parts) {
  return header({ id, kind: 'request', part, parts }) + '\n' + body;
}
function bump(map, key) { map[key] = (map[key] || 0) + 1; }
// The kind and code of a part the receiver sent us.
function describe(data) {
  const text = data.toString('utf8');
  try {
    const h = JSON.parse(text.slice(0, text.indexOf('\n')));
    return h.kind === 'error' ? (h.fatal ? 'fatal:' : 'error:') + h.code : h.kind;
  } catch (e) {
    return 'unparsable';
  }
}
function addressList(arg) { return arg ? arg.split(',').filter((a) => a.length > 0) : []; }

let stopping = false;
const sockets = new Set();
const stats = {
  opened: 0,           // upgrades completed
  failedToOpen: 0,     // closed or refused before the upgrade
  closes: {},          // websocket close code -> count (1006: the socket dropped without a close frame)
  received: {},        // what the receiver sent: "error:<code>", "fatal:<code>", "response"
  openMin: null,       // fewest / most connections open at once, sampled every 50 ms after ready
  openMax: 0,
};
let ready = false;
function openCount() {
  let n = 0;
  for (const ws of sockets) if (ws.readyState === WebSocket.OPEN) ++n;
  return n;
}
setInterval(() => {
  if (!ready) return;
  const n = openCount();
  stats.openMin = stats.openMin === null ? n : Math.min(stats.openMin, n);
  stats.openMax = Math.max(stats.openMax, n);
}, 50).unref();

function finish(extra) {
  if (stopping) return;
  stopping = true;
  const summary = Object.assign({ event: 'summary', mode: which, openAtStop: openCount() }, stats, extra());
  for (const ws of sockets) ws.terminate();
  print(summary);
  process.exit(0);
}

// Opens one connection for `slot` and calls onOpen(ws) once upgraded;
// reopens it (same slot, same local address) whenever it closes.
function keepOpen(slot, localAddress, onOpen, once = false) {
  if (stopping) return;
  const options = { handshakeTimeout: 15000 };
  if (localAddress) options.localAddress = localAddress;
  const ws = new WebSocket(url, 'gibkit-v1', options);
  sockets.add(ws);
  let upgraded = false;
  ws.on('open', () => { upgraded = true; ++stats.opened; onOpen(ws); });
  ws.on('message', (data) => bump(stats.received, describe(data)));
  ws.on('error', () => {});
  ws.on('close', (code) => {
    sockets.delete(ws);
    if (upgraded) bump(stats.closes, code); else ++stats.failedToOpen;
    // The first close of each code is announced, so a test can wait for it.
    if (upgraded && stats.closes[code] === 1) print({ event: 'first_close', code });
    if (!stopping && !once) setImmediate(() => keepOpen(slot, localAddress, onOpen));
  });
}

const kJunk = [
  'this is not json',
  '{"bogus":true}',
  '[1,2,3]',
  '{"type":"init","saga":"00","from":"nobody"}',
  '"just a string"',
  '{',
];

function swarm(silent, junk, addresses, silentOnce) {
  const silentSeen = new Set();
  const junkSeen = new Set();
  let junkSent = 0;
  const checkReady = () => {
    if (!ready && silentSeen.size === silent && junkSeen.size === junk) {
      ready = true;
      print({ event: 'ready', silent, junk, open: openCount() });
    }
  };
  for (let i = 0; i < silent; i++) {
    keepOpen(i, addresses[i % addresses.length], () => { silentSeen.add(i); checkReady(); }, silentOnce);
  }
  for (let i = 0; i < junk; i++) {
    keepOpen(silent + i, addresses[(silent + i) % addresses.length], (ws) => {
      ws.send(requestPart(1, kJunk[(junkSent++) % kJunk.length], 0, 1));
      junkSeen.add(i);
      checkReady();
    });
  }
  const extra = () => ({ silent, junk, junkSent });
  process.on('SIGTERM', () => finish(extra));
  setTimeout(() => finish(() => Object.assign({ timedOut: true }, extra())), kDeadlineMs);
}

function makeBody(bytes) {
  // '[{},{},...,{}]' padded with spaces to exactly `bytes` (still JSON).
  const count = Math.max(1, Math.floor((bytes - 2 + 1) / 3));
  let body = '[' + '{},'.repeat(count - 1) + '{}]';
  if (body.length < bytes) body = body.slice(0, -1) + ' '.repeat(bytes - body.length) + ']';
  return body;
}

function bodies(count, bytes, frameBytes, addresses) {
  const body = makeBody(bytes);
  const parts = Math.ceil(body.length / frameBytes);
  let partsSent = 0;
  let bodiesStarted = 0;
  let bodiesCompleted = 0;  // every part written to the socket
  const waiting = [];       // upgraded connections waiting for the others (first round only)
  let nextId = 1;
  const send = (ws) => {
    const id = nextId++;
    ++bodiesStarted;
    let part = 0;
    const next = () => {
      if (stopping || ws.readyState !== WebSocket.OPEN) return;
      const slice = body.slice(part * frameBytes, (part + 1) * frameBytes);
      ws.send(requestPart(id, slice, part, parts), (err) => {
        if (err) return;
        ++partsSent;
        if (++part < parts) next(); else ++bodiesCompleted;
      });
    };
    next();
  };
  const upgraded = new Set();
  for (let i = 0; i < count; i++) {
    keepOpen(i, addresses[i % addresses.length], (ws) => {
      if (ready) { send(ws); return; }
      waiting.push(ws);
      upgraded.add(i);
      if (upgraded.size === count) {
        ready = true;
        print({ event: 'ready', count, bytes, parts, open: openCount() });
        for (const w of waiting) if (w.readyState === WebSocket.OPEN) send(w);  // all at once
      }
    });
  }
  const extra = () => ({ count, bytes, parts, bodiesStarted, bodiesCompleted, partsSent });
  process.on('SIGTERM', () => finish(extra));
  setTimeout(() => finish(() => Object.assign({ timedOut: true }, extra())), kDeadlineMs);
}

if (which === 'swarm') {
  swarm(Number(rest[0]), Number(rest[1]), addressList(rest[2]), rest[3] === 'silent-once');
} else if (which === 'bodies') {
  bodies(Number(rest[0]), Number(rest[1]), Number(rest[2]), addressList(rest[3]));
} else {
  console.error('usage: hostile_peer.js swarm|bodies <ws-url> ...');
  process.exit(2);
}
