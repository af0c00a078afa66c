// Peers that push a gibkit receiver against its bounds; the `ws` package
// never stops writing on its own, so whatever holds it back is the receiver.
// Prints JSON lines; the C++ test (websocket_node_test.cc) asserts on them.
// flood and no_read first get their connection admitted (afterHello).
//
//   flood <ws-url> <count> <bytes>
//     Sends <count> requests of <bytes> body at once. Once its unsent bytes
//     stop changing (the receiver stopped reading, or took everything), prints
//     {"settled":true,"unsent":N}; then, when every request is answered,
//     {"responses":N,"errors":N,"closes":[...],"timedOut":false}.
//   no_read <ws-url> <count>
//     Sends <count> requests and never reads (its socket is paused) until its
//     standard input ends; then reads what it can until the socket closes and
//     prints {"responses":N,"closes":[...],"timedOut":false}.
//   raw_flood <port> <count>
//     Opens <count> TCP connections to 127.0.0.1:<port> that never send a
//     byte. Prints {"open":N} once all are connected, then, once the receiver
//     has closed them all, {"closedByServer":N,"timedOut":false}.
'use strict';
const net = require('net');
const WebSocket = require('ws');

const [which, ...args] = process.argv.slice(2);
const kDeadlineMs = 60000;  // a wedged run fails the test instead of hanging it

function print(object) { process.stdout.write(JSON.stringify(object) + '\n'); }
function request(id, body) {
  return JSON.stringify({ v: 1, id, kind: 'request', part: 0, parts: 1 }) + '\n' + body;
}
function kind(data) {
  const text = data.toString('utf8');
  return JSON.parse(text.slice(0, text.indexOf('\n'))).kind;
}

// A receiver admits a connection once a request on it authenticates; the
// test's handler admits on any request, so each case opens with one request
// ("hello") and waits for its answer before pushing.
function afterHello(ws, then) {
  ws.once('message', () => then());
  ws.send(request(1000000, 'hello'));  // ids start at 1; this one is never reused
}

function flood(url, count, bytes) {
  const result = { responses: 0, errors: 0, closes: [], timedOut: false };
  const ws = new WebSocket(url, 'gibkit-v1');
  const finish = () => { print(result); process.exit(0); };
  setTimeout(() => { result.timedOut = true; finish(); }, kDeadlineMs);
  ws.on('error', () => {});
  ws.on('close', (code) => { result.closes.push(code); finish(); });
  ws.on('open', () => afterHello(ws, () => {
    ws.on('message', (data) => {
      if (kind(data) === 'response') ++result.responses; else ++result.errors;
      if (result.responses + result.errors === count) finish();
    });
    const body = 'x'.repeat(bytes);
    for (let id = 1; id <= count; id++) ws.send(request(id, body));
    // Settled: the unsent amount is the same over several polls.
    let last = -1;
    let same = 0;
    const poll = setInterval(() => {
      const unsent = ws.bufferedAmount;
      same = unsent === last ? same + 1 : 0;
      last = unsent;
      if (same === 5) {
        clearInterval(poll);
        print({ settled: true, unsent });
      }
    }, 100);
  }));
}

function noRead(url, count) {
  const result = { responses: 0, closes: [], timedOut: false };
  const ws = new WebSocket(url, 'gibkit-v1');
  const finish = () => { print(result); process.exit(0); };
  ws.on('error', () => {});
  ws.on('close', (code) => { result.closes.push(code); finish(); });
  ws.on('open', () => afterHello(ws, () => {
    ws.on('message', () => { ++result.responses; });
    ws._socket.pause();
    for (let id = 1; id <= count; id++) ws.send(request(id, String(id)));
  }));
  process.stdin.on('end', () => {
    setTimeout(() => { result.timedOut = true; finish(); }, kDeadlineMs);
    ws._socket.resume();
  });
  process.stdin.resume();
}

function rawFlood(port, count) {
  let open = 0;
  let closed = 0;
  const sockets = [];
  setTimeout(() => {
    print({ closedByServer: closed, timedOut: true });
    for (const socket of sockets) socket.destroy();
    process.exit(0);
  }, kDeadlineMs);
  for (let i = 0; i < count; i++) {
    const socket = net.connect(port, '127.0.0.1', () => { if (++open === count) print({ open }); });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (++closed === count) {
        print({ closedByServer: closed, timedOut: false });
        process.exit(0);
      }
    });
    sockets.push(socket);
  }
}

if (which === 'flood') flood(args[0], Number(args[1]), Number(args[2]));
else if (which === 'no_read') noRead(args[0], Number(args[1]));
else if (which === 'raw_flood') rawFlood(Number(args[0]), Number(args[1]));
else { console.error('unknown case ' + which); process.exit(2); }
