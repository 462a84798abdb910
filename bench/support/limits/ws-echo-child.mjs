/**
 * The WebSocket limit's server (limits.ts): `node ws-echo-child.mjs` listens on a loopback port with
 * the `ws` library the master uses (no compression, as the master's worker port) and sends every
 * message straight back. It reports its port over IPC, then its CPU time when asked.
 */
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => { ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })); });
wss.on('listening', () => process.send({ port: wss.address().port }));
process.on('message', (msg) => {
  if (msg === 'cpu') { const c = process.cpuUsage(); process.send({ cpuMs: (c.user + c.system) / 1000 }); }
});
process.on('disconnect', () => process.exit(0));
