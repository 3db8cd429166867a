// One MCP session of the official TypeScript SDK (@modelcontextprotocol/sdk)
// against the load balancer of e2e/replicas: it initializes once (2025-11-25,
// the SDK's latest) and calls a tool again and again, each call one user
// message with its own W3C trace context in params._meta, until the stop file
// exists; then it ends the session (DELETE).
//
//   node client.mjs '{"url": "...", "token": "...", "tool": "users.Users.List",
//                     "stopFile": "...", "pauseMs": 20, "timeoutMs": 10000}'
//
// It prints progress lines ("calls N") on stderr and one JSON report on
// stdout: {protocolVersion, sessions: [ids seen, in order], initializes,
// calls: [{traceId, ok, error, start, end}], deleted, error}.
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const s = JSON.parse(process.argv[2] ?? '{}');
const report = { sessions: [], initializes: 0, calls: [], streamErrors: 0 };

// fetch counts the initialize requests the SDK sends: one, if the session
// is never lost.
async function countingFetch(input, init) {
  if (typeof init?.body === 'string' && init.body.includes('"method":"initialize"')) {
    report.initializes++;
  }
  return fetch(input, init);
}

function noteSession(transport) {
  const id = transport.sessionId ?? '';
  if (report.sessions[report.sessions.length - 1] !== id) {
    report.sessions.push(id);
  }
}

async function main() {
  const transport = new StreamableHTTPClientTransport(new URL(s.url), {
    requestInit: { headers: { Authorization: `Bearer ${s.token}` } },
    fetch: countingFetch
  });
  const client = new Client({ name: 'tracegate-e2e-replicas', version: '1.0.0' });
  // A lost server-to-client stream (its replica stopped) is reported here
  // and re-opened by the SDK; calls are not affected.
  client.onerror = () => {
    report.streamErrors++;
  };
  await client.connect(transport);
  report.protocolVersion = transport.protocolVersion ?? '';
  noteSession(transport);
  for (let n = 0; n < (s.max ?? 5000) && !existsSync(s.stopFile); n++) {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const call = { traceId, start: Date.now() };
    try {
      const res = await client.callTool(
        { name: s.tool, arguments: {}, _meta: { traceparent } },
        undefined,
        { timeout: s.timeoutMs ?? 10000 }
      );
      call.ok = !res.isError;
      if (res.isError) call.error = JSON.stringify(res.content).slice(0, 300);
    } catch (err) {
      call.ok = false;
      call.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    call.end = Date.now();
    report.calls.push(call);
    noteSession(transport);
    if ((n + 1) % 50 === 0) process.stderr.write(`calls ${n + 1}\n`);
    await new Promise(r => setTimeout(r, s.pauseMs ?? 20));
  }
  report.finalSession = transport.sessionId ?? '';
  await transport.terminateSession();
  report.deleted = true;
  await client.close();
}

try {
  await main();
} catch (err) {
  report.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
process.stdout.write(JSON.stringify(report) + '\n');
