// A websocket server that is not gibkit's, for the sender's reconnect path:
// the first connection is dropped (TCP destroyed) as soon as a request
// arrives; later connections answer every request part with "echo:" + body.
// Prints its port on the first line; exits when a later connection closes,
// or after `lifetime_ms` at the latest.
// Usage: node drop_server.js [lifetime_ms]
'use strict';
const WebSocket = require('ws');

const lifetime = Number(process.argv[2] || 10000);
const server = new WebSocket.Server({ host: '127.0.0.1', port: 0 }, () => {
  process.stdout.write(server.address().port + '\n');
});
let connections = 0;
server.on('connection', (ws) => {
  const index = connections++;
  if (index > 0) ws.on('close', () => process.exit(0));
  ws.on('message', (data) => {
    if (index === 0) { ws._socket.destroy(); return; }
    const text = data.toString('utf8');
    const newline = text.indexOf('\n');
    const h = JSON.parse(text.slice(0, newline));
    const body = 'echo:' + text.slice(newline + 1);
    ws.send(JSON.stringify({ v: 1, id: h.id, kind: 'response', part: 0, parts: 1 }) + '\n' + body);
  });
});
setTimeout(() => process.exit(0), lifetime);
