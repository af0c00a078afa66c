// A websocket relay between a `gib sync` and a gibd that lets Deltas through
// until they have carried at least N payload records, then holds everything
// else the sender sends, so that the saga stops mid-Delta at a known point.
// Once every request it let through has been answered (each Delta the
// receiver took was acknowledged to the sender), it prints
// {"event":"cut","records":K}, K being the payload records let through; the
// test then kills the gibd (kill -9), which closes the sender's connection.
// Connections opened after the cut (the sender's Abort) are refused, as by
// a dead gibd. Prints {"port":N} once listening.
//
// `one-more`: after the threshold, one more request (the next Delta) still
// goes to the gibd, and its answer is kept from the sender; the cut is
// reported once that answer came. The gibd checks and stages a Delta in
// the background while its answer travels (docs/protocol.md,
// "Pipelining") and finishes it before it answers the next, so by then it
// has staged every Delta the sender saw acknowledged -- what a test that
// cannot look into the gibd's store (LevelDB, locked) waits for.
//
// Used by tests/postgres/staging_handover_test.sh and
// tests/e2e/resume_after_restart_test.sh.
//
//   NODE_PATH=<dir with ws> node cut_at_records.js <upstream ws-url> <N> [one-more]
'use strict';
const WebSocket = require('ws');

const upstreamUrl = process.argv[2];
const threshold = Number(process.argv[3]);
const oneMore = process.argv[4] === 'one-more';
if (!upstreamUrl || !(threshold > 0)) {
  console.error('usage: cut_at_records.js <upstream ws-url> <records>');
  process.exit(2);
}
const server = new WebSocket.Server({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => [...protocols][0] });
// Bounded: a test that fails before killing the gibd must not leave this running.
setTimeout(() => { console.log(JSON.stringify({ event: 'timeout' })); process.exit(1); }, 120000);

let forwarded = 0;     // payload records of the Deltas let through
let cutting = false;   // the threshold was reached: nothing more goes upstream
let announced = false;
const unanswered = new Set();  // ids of requests let through whose answer has not come back
let extraLeft = oneMore ? 1 : 0;  // one-more: requests still to let through after the cut
const swallowed = new Set();      // their ids: answers kept from the sender

// A part is a one-line JSON header, a newline, then the body bytes
// (docs/transport.md, "Wire format").
function split(text) {
  const newline = text.indexOf('\n');
  return { header: JSON.parse(text.slice(0, newline)), body: text.slice(newline + 1) };
}

function maybeAnnounce() {
  if (cutting && !announced && unanswered.size === 0 && extraLeft === 0) {
    announced = true;
    console.log(JSON.stringify({ event: 'cut', records: forwarded }));
  }
}

server.on('listening', () => console.log(JSON.stringify({ port: server.address().port })));
server.on('connection', (client) => {
  if (cutting) {
    client.terminate();
    return;
  }
  const upstream = new WebSocket(upstreamUrl, client.protocol || undefined);
  const queued = [];   // let through, waiting for the upstream connection
  const bodies = new Map();  // request id -> body parts so far
  const send = (text) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(text); else queued.push(text);
  };
  upstream.on('open', () => { for (const text of queued) upstream.send(text); queued.length = 0; });
  client.on('message', (data) => {
    const text = data.toString('utf8');
    const { header, body } = split(text);
    if (cutting) {
      // Held for ever (the gibd dies before it would go), but for the one
      // more request of one-more mode, all of whose parts go.
      if (extraLeft === 0 && !swallowed.has(header.id)) return;
      if (!swallowed.has(header.id)) { swallowed.add(header.id); extraLeft = 0; unanswered.add(header.id); }
      send(text);
      return;
    }
    send(text);
    bodies.set(header.id, (bodies.get(header.id) || '') + body);
    if (header.part !== header.parts - 1) return;
    unanswered.add(header.id);
    const message = JSON.parse(bodies.get(header.id));
    bodies.delete(header.id);
    if (message.leg === 'delta' && Array.isArray(message.payloads)) {
      forwarded += message.payloads.length;
      if (forwarded >= threshold) cutting = true;
    }
  });
  upstream.on('message', (data) => {
    const text = data.toString('utf8');
    const { header } = split(text);
    if (header.kind === 'error' || header.part === header.parts - 1) unanswered.delete(header.id);
    if (!swallowed.has(header.id)) client.send(text);
    maybeAnnounce();
  });
  client.on('close', () => upstream.close());
  upstream.on('close', () => client.close());
  upstream.on('error', () => client.terminate());
  client.on('error', () => upstream.terminate());
});
