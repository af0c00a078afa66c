// A websocket client that is not gibkit's: sends one kind of bad (or good)
// input to a gibkit receiver and prints, as one JSON line, what came back:
//   {"case":..., "errors":[{"id":N,"code":"..."}], "responses":[...],
//    "closes":[code, ...], "timedOut":false}
// The C++ test (websocket_bad_input_test.cc) asserts on that line.
// Usage: node bad_input.js <ws-url> <case> [max_connections]
'use strict';
const WebSocket = require('ws');

const [url, which, extra] = process.argv.slice(2);
const result = { case: which, errors: [], responses: [], closes: [], timedOut: false };
const sockets = [];

function header(fields, body) {
  return JSON.stringify(Object.assign({ v: 1 }, fields)) + '\n' + (body || '');
}
function request(id, body, part = 0, parts = 1) {
  return header({ id, kind: 'request', part, parts }, body);
}

function finish() {
  process.stdout.write(JSON.stringify(result) + '\n');
  for (const ws of sockets) ws.terminate();
  process.exit(0);
}
const deadline = setTimeout(() => { result.timedOut = true; finish(); }, 8000);

// Opens a socket and records what it receives. Resolves once closed.
function open(onOpen) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'gibkit-v1');
    sockets.push(ws);
    ws.on('open', () => onOpen(ws));
    ws.on('message', (data, isBinary) => {
      const text = data.toString('utf8');
      const newline = text.indexOf('\n');
      let h;
      try { h = JSON.parse(text.slice(0, newline)); } catch (e) { result.errors.push({ id: -1, code: 'unparsable' }); return; }
      if (h.kind === 'error') result.errors.push({ id: h.id, code: h.code, fatal: h.fatal === true, message: h.message });
      else result.responses.push({ id: h.id, part: h.part, parts: h.parts, body: text.slice(newline + 1) });
    });
    ws.on('close', (code) => { result.closes.push(code); resolve(); });
    ws.on('error', () => {});
  });
}

const cases = {
  ok: (ws) => ws.send(request(1, 'hello')),
  not_json: (ws) => ws.send('this is not json\n{}'),
  no_header_line: (ws) => ws.send('{"v":1,"id":1,"kind":"request","part":0,"parts":1}'),
  header_not_object: (ws) => ws.send('[1,2,3]\nbody'),
  wrong_field_type: (ws) => ws.send(header({ id: 'seven', kind: 'request', part: 0, parts: 1 }, 'x')),
  missing_field: (ws) => ws.send(header({ id: 3, kind: 'request' }, 'x')),
  wrong_version: (ws) => ws.send(JSON.stringify({ v: 2, id: 1, kind: 'request', part: 0, parts: 1 }) + '\nx'),
  unknown_kind: (ws) => ws.send(header({ id: 1, kind: 'gossip', part: 0, parts: 1 }, 'x')),
  response_to_receiver: (ws) => ws.send(header({ id: 1, kind: 'response', part: 0, parts: 1 }, 'x')),
  id_zero: (ws) => ws.send(request(0, 'x')),
  binary: (ws) => ws.send(Buffer.from(request(1, 'x')), { binary: true }),
  invalid_utf8: (ws) => ws.send(Buffer.concat([Buffer.from(request(1, '')), Buffer.from([0xc3, 0x28])]), { binary: false }),
  oversized_frame: (ws) => ws.send(request(1, 'x'.repeat(Number(extra)))),
  oversized_message: (ws) => {
    // Parts within the frame bound whose sum passes the message bound.
    const part = 'y'.repeat(Number(extra));
    for (let i = 0; i < 64; i++) ws.send(request(2, part, i, 64));
  },
  duplicate_id: (ws) => { ws.send(request(5, 'a', 0, 2)); ws.send(request(5, 'b', 0, 2)); },
  unknown_id_part: (ws) => ws.send(request(9, 'x', 1, 2)),
  out_of_order: (ws) => { ws.send(request(4, 'a', 0, 3)); ws.send(request(4, 'c', 2, 3)); },
  half_close: (ws) => ws._socket.end(),  // TCP FIN without a websocket close
  garbage_after_upgrade: (ws) => ws._socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01])),
};

async function main() {
  if (which === 'connection_flood') {
    // Opens max_connections + 3 sockets at once; the extra ones must be refused.
    const count = Number(extra) + 3;
    const closed = [];
    const opened = [];
    for (let i = 0; i < count; i++) {
      closed.push(open((ws) => { opened.push(ws); if (opened.length === count) setTimeout(finishFlood, 1000); }));
    }
    function finishFlood() {
      result.openAfterFlood = sockets.filter((s) => s.readyState === WebSocket.OPEN).length;
      finish();
    }
    return;
  }
  const send = cases[which];
  if (!send) { console.error('unknown case ' + which); process.exit(2); }
  await open((ws) => {
    send(ws);
    if (which === 'ok') ws.on('message', () => ws.close(1000));
  });
  clearTimeout(deadline);
  finish();
}
main();
