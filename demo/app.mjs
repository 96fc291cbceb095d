// The demo application: an HTTP server that says which generation answered.
// It uses hotinit/app: listen on the socket hotinit holds, say READY, drain
// on SIGTERM. SIGHUP (hotinit's reload signal) re-reads its "config".
import { createServer } from 'node:http';
import { serve } from '../dist/app/index.js';

const gen = process.env.HOTINIT_GENERATION ?? '-';
let greeting = process.env.GREETING ?? 'hello';
let reloads = 0;
process.on('SIGHUP', () => {
  reloads += 1;
  greeting = `${process.env.GREETING ?? 'hello'} (config reloaded ${reloads}x)`;
});

const server = createServer((_request, response) => {
  response.end(`${greeting} from generation ${gen}, pid ${process.pid}\n`);
});
await serve(server, { port: 8080 });
