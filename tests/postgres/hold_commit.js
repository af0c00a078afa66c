// A websocket relay between a `gib sync` and a gibd that holds the sender's
// Commit until told to let it go (SIGUSR1): everything before it passes
// through, so the saga has been acknowledged (the receiver reported its
// heads) when the Commit stops here. Meanwhile the test moves a head the Ack
// reported, through another gibd on the same database; the held Commit then
// loses the compare-and-swap, deterministically. Used by
// tests/postgres/multi_node_test.sh. Prints {"port":N} once listening,
// {"event":"holding"} when it holds a Commit, {"event":"released"} after
// SIGUSR1.
//
//   NODE_PATH=<dir with ws> node hold_commit.js <upstream ws-url>
'use strict';
const WebSocket = require('ws');

const upstreamUrl = process.argv[2];
const server = new WebSocket.Server({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => [...protocols][0] });
// Bounded: a test that never releases must not leave this running.
setTimeout(() => { console.log(JSON.stringify({ event: 'timeout' })); process.exit(1); }, 120000);

let holding = null;  // the flush function of a connection holding its Commit
let released = false;
process.on('SIGUSR1', () => {
  released = true;
  console.log(JSON.stringify({ event: 'released' }));
  if (holding) holding();
});

server.on('listening', () => console.log(JSON.stringify({ port: server.address().port })));
server.on('connection', (client) => {
  const upstream = new WebSocket(upstreamUrl, client.protocol || undefined);
  const queued = [];  // client parts not yet sent upstream
  let held = false;
  const flush = () => {
    if (upstream.readyState !== WebSocket.OPEN) return;
    if (held && !released) return;
    for (const message of queued) upstream.send(message);
    queued.length = 0;
  };
  upstream.on('open', flush);
  client.on('message', (data) => {
    const text = data.toString('utf8');
    // A request part: a header line, then the body (docs/transport.md). The
    // Commit, and whatever follows it, waits for the release.
    if (!held && text.includes('"leg":"commit"')) {
      held = true;
      holding = flush;
      console.log(JSON.stringify({ event: 'holding' }));
    }
    queued.push(text);
    flush();
  });
  upstream.on('message', (data) => client.send(data.toString('utf8')));
  client.on('close', () => upstream.close());
  upstream.on('close', () => client.close());
  upstream.on('error', () => client.terminate());
  client.on('error', () => upstream.terminate());
});
