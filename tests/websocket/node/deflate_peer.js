// A websocket client that is not gibkit's, against a gibkit receiver with
// `compression: deflate`. Prints one JSON line:
//   {"case":..., "extensions":"...", "responses":[{id, body}], "errors":[{id, code, fatal}],
//    "closes":[code], "sentBytes":N, "inflatedBytes":N, "timedOut":false}
// Cases:
//   echo_no_takeover: ws offering permessage-deflate with both
//     no_context_takeover parameters (as gibkit's sender does) sends a
//     text-heavy request and waits for its answer;
//   echo_default: ws's default offer (context takeover kept) does the same;
//   bomb: after negotiating as echo_no_takeover, writes by hand one
//     compressed frame (RSV1) whose payload is small but inflates to
//     `extra` MiB of 'a', inside a request part's body.
// Usage: node deflate_peer.js <ws-url> <case> [extra]
'use strict';
const zlib = require('zlib');
const crypto = require('crypto');
const WebSocket = require('ws');

const [url, which, extra] = process.argv.slice(2);
const result = { case: which, extensions: '', responses: [], errors: [], closes: [], sentBytes: 0, inflatedBytes: 0, timedOut: false };
let ws;

function finish() {
  process.stdout.write(JSON.stringify(result) + '\n');
  if (ws) ws.terminate();
  process.exit(0);
}
const deadline = setTimeout(() => { result.timedOut = true; finish(); }, 15000);

function request(id, body) {
  return JSON.stringify({ v: 1, id, kind: 'request', part: 0, parts: 1 }) + '\n' + body;
}

// About 3 KB of English-like text (within the test's 4 KiB frames): compresses well.
function prose() {
  const words = 'the of and to in is was that for it with as on be at by this had not are but from or have'.split(' ');
  let text = '';
  for (let i = 0; text.length < 3000; i++) text += words[(i * 7 + (i >> 3)) % words.length] + (i % 11 === 10 ? '. ' : ' ');
  return text;
}

// One masked websocket frame: FIN, RSV1 (compressed), text opcode.
function compressedFrame(payload) {
  const mask = crypto.randomBytes(4);
  let head;
  if (payload.length < 126) {
    head = Buffer.from([0xc1, 0x80 | payload.length]);
  } else if (payload.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0xc1; head[1] = 0x80 | 126; head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0xc1; head[1] = 0x80 | 127; head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, masked]);
}

const options = which === 'echo_default'
  ? {}
  : { perMessageDeflate: { clientNoContextTakeover: true, serverNoContextTakeover: true } };
ws = new WebSocket(url, 'gibkit-v1', options);
ws.on('open', () => {
  result.extensions = ws.extensions;
  if (which === 'bomb') {
    const mib = Number(extra);
    const plain = Buffer.concat([Buffer.from(JSON.stringify({ v: 1, id: 1, kind: 'request', part: 0, parts: 1 }) + '\n'),
                                 Buffer.alloc(mib * 1024 * 1024, 'a')]);
    // A sync flush ends on 00 00 ff ff, which RFC 7692 has the sender drop.
    const deflated = zlib.deflateRawSync(plain, { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const payload = deflated.subarray(0, deflated.length - 4);
    result.sentBytes = payload.length;
    result.inflatedBytes = plain.length;
    ws._socket.write(compressedFrame(payload));
  } else {
    const body = prose();
    result.sentBytes = body.length;
    ws.send(request(1, body));
  }
});
ws.on('message', (data) => {
  const text = data.toString('utf8');
  const newline = text.indexOf('\n');
  const h = JSON.parse(text.slice(0, newline));
  if (h.kind === 'error') result.errors.push({ id: h.id, code: h.code, fatal: h.fatal === true });
  else result.responses.push({ id: h.id, bodyLength: text.length - newline - 1, body: text.slice(newline + 1, newline + 41) });
  if (which !== 'bomb' && h.kind !== 'error') ws.close(1000);
});
ws.on('close', (code) => { result.closes.push(code); clearTimeout(deadline); finish(); });
ws.on('error', (e) => { result.errors.push({ id: -1, code: 'socket: ' + e.message, fatal: true }); });
