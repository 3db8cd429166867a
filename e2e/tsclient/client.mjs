// A scripted MCP client built on the official TypeScript SDK
// (@modelcontextprotocol/sdk), for e2e/tsclient. It does what an MCP client
// does against a protected server — 401, protected resource metadata,
// authorization server metadata, registration or client credentials, token,
// then MCP — with the SDK's own auth code, and plays the browser for the
// authorization code flow with plain HTTP (the consent form is read and
// posted back with its cookie; the redirect is not followed).
//
//   node client.mjs '<scenario JSON>'
//
// Scenario: {url, mode: "client_credentials" | "authorization_code",
//   clientId, clientSecret, scope, expectedIssuer      (client_credentials)
//   redirectUrl, clientMetadataUrl, clientName          (authorization_code)
//   calls: [{name, arguments}]}
// It prints one JSON report on stdout: {http: [{method, url, status,
// wwwAuthenticate, from}], tools: [...], calls: [{name, ok, result | error,
// stepUp}], error}. It exits 0 when it could write the report.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

const scenario = JSON.parse(process.argv[2] ?? '{}');
const report = { http: [], tools: [], calls: [], consents: [] };

// sdkFetch is the fetch the SDK uses for MCP and OAuth: every request is
// logged with its answer.
async function sdkFetch(input, init) {
  const res = await fetch(input, init);
  const url = typeof input === 'string' ? input : input.url ?? String(input);
  report.http.push({
    from: 'sdk',
    method: (init?.method ?? 'GET').toUpperCase(),
    url: String(url),
    status: res.status,
    wwwAuthenticate: res.headers.get('www-authenticate') ?? ''
  });
  return res;
}

// browser follows an authorization URL like a user who clicks Allow: GET
// the consent page, post its form back with the session cookie, and read
// the code (or error) from the redirect's Location.
async function browser(authorizationUrl) {
  const log = (method, url, res) =>
    report.http.push({ from: 'browser', method, url: String(url), status: res.status, wwwAuthenticate: '' });
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  log('GET', authorizationUrl, page);
  const html = await page.text();
  const consent = { url: String(authorizationUrl), status: page.status };
  report.consents.push(consent);
  if (page.status === 303) {
    return new URL(page.headers.get('location')).searchParams;
  }
  const action = html.match(/<form method="post" action="([^"]+)">/);
  if (page.status !== 200 || !action) {
    consent.error = `no consent form (HTTP ${page.status}): ${html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 300)}`;
    return new URLSearchParams({ error: 'no_consent_form', error_description: consent.error });
  }
  const form = new URLSearchParams();
  for (const m of html.matchAll(/<input type="hidden" name="([a-z_]+)" value="([^"]*)">/g)) {
    form.set(m[1], m[2]);
  }
  form.set('decision', 'approve');
  const cookie = page.headers
    .getSetCookie()
    .map(c => c.split(';')[0])
    .join('; ');
  const post = new URL(action[1], authorizationUrl);
  const answer = await fetch(post, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: post.origin },
    body: form
  });
  log('POST', post, answer);
  if (answer.status !== 303) {
    consent.error = `consent answered HTTP ${answer.status}`;
    return new URLSearchParams({ error: 'consent_failed', error_description: consent.error });
  }
  const params = new URL(answer.headers.get('location')).searchParams;
  consent.scope = new URL(authorizationUrl).searchParams.get('scope') ?? '';
  consent.clientId = new URL(authorizationUrl).searchParams.get('client_id') ?? '';
  return params;
}

// CodeFlowProvider is an OAuthClientProvider for a public client with a
// loopback redirect URI, in memory.
class CodeFlowProvider {
  constructor(s) {
    this.s = s;
    this.pending = undefined; // the URLSearchParams of the last redirect
    if (s.clientMetadataUrl) {
      this.clientMetadataUrl = s.clientMetadataUrl;
    }
  }
  get redirectUrl() {
    return this.s.redirectUrl;
  }
  get clientMetadata() {
    return {
      client_name: this.s.clientName ?? 'tracegate e2e tsclient',
      redirect_uris: [this.s.redirectUrl],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none'
    };
  }
  clientInformation() {
    return this._client;
  }
  saveClientInformation(info) {
    this._client = info;
    report.clientId = info.client_id;
  }
  tokens() {
    return this._tokens;
  }
  saveTokens(t) {
    this._tokens = t;
    report.grantedScopes = [...(report.grantedScopes ?? []), t.scope ?? ''];
  }
  saveCodeVerifier(v) {
    this._verifier = v;
  }
  codeVerifier() {
    return this._verifier;
  }
  state() {
    return 'tsclient-' + Math.random().toString(36).slice(2);
  }
  async redirectToAuthorization(url) {
    const params = await browser(url);
    if (params.get('state') !== url.searchParams.get('state')) {
      params.set('error', params.get('error') ?? 'state_mismatch');
    }
    this.pending = params;
  }
  // code returns the code of the last redirect, or throws its error.
  code() {
    const p = this.pending;
    this.pending = undefined;
    if (!p) throw new Error('no authorization redirect happened');
    if (p.get('error')) throw new Error(`authorization failed: ${p.get('error')}: ${p.get('error_description') ?? ''}`);
    return p.get('code');
  }
}

function describe(err) {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

function newTransport(provider) {
  return new StreamableHTTPClientTransport(new URL(scenario.url), { authProvider: provider, fetch: sdkFetch });
}

async function connect(transport) {
  const client = new Client({ name: 'tracegate-e2e-tsclient', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function main() {
  let provider;
  if (scenario.mode === 'client_credentials') {
    provider = new ClientCredentialsProvider({
      clientId: scenario.clientId,
      clientSecret: scenario.clientSecret,
      scope: scenario.scope,
      expectedIssuer: scenario.expectedIssuer
    });
  } else {
    provider = new CodeFlowProvider(scenario);
  }

  let session;
  const first = newTransport(provider);
  try {
    session = await connect(first);
  } catch (err) {
    if (!(err instanceof UnauthorizedError) || scenario.mode === 'client_credentials') throw err;
    // The browser part ran inside redirectToAuthorization; finish with the
    // code on the same transport, then connect again (the SDK's pattern).
    await first.finishAuth(provider.code());
    session = await connect(newTransport(provider));
  }
  const { client, transport } = session;
  report.protocolVersion = transport.protocolVersion ?? '';
  const listed = await client.listTools();
  report.tools = listed.tools.map(t => ({ name: t.name, meta: t._meta ?? null }));

  for (const call of scenario.calls ?? []) {
    const entry = { name: call.name, stepUp: false };
    report.calls.push(entry);
    try {
      entry.result = await client.callTool({ name: call.name, arguments: call.arguments ?? {} });
      entry.ok = !entry.result.isError;
    } catch (err) {
      if (err instanceof UnauthorizedError && provider instanceof CodeFlowProvider) {
        // A 403 insufficient_scope sent the user to consent again (step-up).
        entry.stepUp = true;
        try {
          await transport.finishAuth(provider.code());
          entry.result = await client.callTool({ name: call.name, arguments: call.arguments ?? {} });
          entry.ok = !entry.result.isError;
        } catch (err2) {
          entry.ok = false;
          entry.error = describe(err2);
        }
      } else {
        entry.ok = false;
        entry.error = describe(err);
      }
    }
  }
  await client.close();
}

try {
  await main();
} catch (err) {
  report.error = describe(err);
}
process.stdout.write(JSON.stringify(report) + '\n');
