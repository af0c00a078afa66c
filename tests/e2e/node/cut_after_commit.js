// A link that breaks at the worst moment: a websocket relay between a `gib
// sync` and a gibd that passes everything through until the sender's Commit,
// lets the receiver answer it (so the receiver has committed), and then cuts
// the sender's socket instead of passing the answer on. Used by
// tests/e2e/outcome_unknown_test.sh. Prints {"port":N} once listening and
// {"event":"cut"} when it cut; exits after the cut.
//
//   node cut_after_commit.js <upstream ws-url>
'use strict';
const WebSocket = require('ws');

const upstreamUrl = process.argv[2];
const server = new WebSocket.Server({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => [...protocols][0] });
setTimeout(() => { console.log(JSON.stringify({ event: 'timeout' })); process.exit(1); }, 60000);

server.on('listening', () => console.log(JSON.stringify({ port: server.address().port })));
server.on('connection', (client, request) => {
  const upstream = new WebSocket(upstreamUrl, client.protocol || undefined);
  const queued = [];
  let commitSent = false;
  upstream.on('open', () => { for (const message of queued) upstream.send(message); queued.length = 0; });
  client.on('message', (data) => {
    const text = data.toString('utf8');
    // A request part: a header line, then the body (docs/transport.md).
    if (text.includes('"leg":"commit"')) commitSent = true;
    if (upstream.readyState === WebSocket.OPEN) upstream.send(text); else queued.push(text);
  });
  upstream.on('message', (data) => {
    if (commitSent) {
      client.terminate();
      upstream.close();
      console.log(JSON.stringify({ event: 'cut' }));
      setTimeout(() => process.exit(0), 100);
      return;
    }
    client.send(data.toString('utf8'));
  });
  client.on('close', () => upstream.close());
  upstream.on('error', () => client.terminate());
  client.on('error', () => upstream.terminate());
});
