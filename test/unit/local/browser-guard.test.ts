/**
 * local/endpoint/browser-guard.ts: which requests a local server answers. The headers are the ones a browser
 * sends: a DNS rebinding page sends its own name as Host; a cross-origin fetch or form POST sends Origin; a
 * `<script src>` sends Sec-Fetch-Site without Origin.
 */
import { browserGuardPolicy, hostnameOf, refusal } from '../../../local/endpoint/browser-guard';

const none = browserGuardPolicy({});
const req = (headers: Record<string, string>) => ({ headers });

describe('Host', () => {
  it.each([
    'localhost:3000',
    'LOCALHOST:3000',
    'localhost',
    'api.localhost:3000',
    '127.0.0.1:4566',
    '127.1.2.3:4566',
    '[::1]:3000',
  ])('answers the loopback Host %s', (host) => {
    expect(refusal(req({ host }), none)).toBeUndefined();
  });

  it.each([
    'evil.example:4566',
    'evil.example',
    '127.0.0.1.evil.example:3000',
    'localhost.evil.example:3000',
    '10.0.0.5:3000',
    '[::2]:3000',
    '',
    'local host:3000',
  ])('refuses the Host %j (DNS rebinding, or not loopback)', (host) => {
    expect(refusal(req({ host }), none)).toEqual({
      status: 403,
      message: expect.stringContaining('is not a loopback name or address'),
    });
  });

  it('refuses a request with no Host at all', () => {
    expect(refusal(req({}), none)?.status).toBe(403);
  });

  it('answers a Host the user allowed, and the address the server is bound to', () => {
    expect(refusal(req({ host: 'devbox:3000' }), browserGuardPolicy({ BERTH_ALLOWED_HOSTS: 'devbox, other' }))).toBe(
      undefined,
    );
    expect(refusal(req({ host: '192.168.1.20:3000' }), browserGuardPolicy({}, '192.168.1.20'))).toBeUndefined();
    // Bound to every interface is not a licence for any name.
    expect(refusal(req({ host: 'evil.example:3000' }), browserGuardPolicy({}, '0.0.0.0'))?.status).toBe(403);
  });

  it('reads host names out of Host headers', () => {
    expect(hostnameOf('Example.COM.:80')).toBe('example.com');
    expect(hostnameOf('[::1]:3000')).toBe('::1');
    expect(hostnameOf('a b')).toBeUndefined();
    expect(hostnameOf('x:999999')).toBeUndefined();
  });
});

describe('Origin', () => {
  it.each(['https://evil.example', 'null', 'http://localhost:8080', 'http://127.0.0.1:3001'])(
    'refuses a request from the web origin %s',
    (origin) => {
      expect(refusal(req({ host: '127.0.0.1:3000', origin }), none)).toEqual({
        status: 403,
        message: expect.stringContaining(`Requests from the web origin "${origin}" are refused`),
      });
    },
  );

  it("answers the server's own origin (a page it served) and origins the user allowed", () => {
    expect(refusal(req({ host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' }), none)).toBeUndefined();
    const allowed = browserGuardPolicy({ BERTH_CORS_ORIGINS: 'http://localhost:5173/, https://tools.internal' });
    expect(refusal(req({ host: '127.0.0.1:3000', origin: 'http://localhost:5173' }), allowed)).toBeUndefined();
    expect(refusal(req({ host: '127.0.0.1:3000', origin: 'https://tools.internal' }), allowed)).toBeUndefined();
    expect(refusal(req({ host: '127.0.0.1:3000', origin: 'https://tools.internal.evil' }), allowed)?.status).toBe(403);
  });

  it('refuses a rebinding page even with its own origin', () => {
    const headers = { host: 'evil.example:3000', origin: 'http://evil.example:3000' };
    expect(refusal(req(headers), none)?.message).toContain('is not a loopback name');
  });
});

describe('Sec-Fetch-Site without Origin', () => {
  it('refuses a cross-site subresource load (a <script src> at a GET route)', () => {
    const headers = {
      host: '127.0.0.1:3000',
      'sec-fetch-site': 'cross-site',
      'sec-fetch-mode': 'no-cors',
      'sec-fetch-dest': 'script',
    };
    expect(refusal(req(headers), none)?.message).toContain('A cross-site script from a web page is refused');
  });

  it('answers a top-level navigation, a typed URL, and clients that send no Sec-Fetch headers', () => {
    const base = { host: '127.0.0.1:3000' };
    expect(refusal(req({ ...base, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' }), none)).toBe(
      undefined,
    );
    expect(refusal(req({ ...base, 'sec-fetch-site': 'none', 'sec-fetch-mode': 'navigate' }), none)).toBeUndefined();
    expect(refusal(req({ ...base, 'sec-fetch-mode': 'cors' }), none)).toBeUndefined(); // Node's fetch
    expect(refusal(req(base), none)).toBeUndefined(); // curl, the SDK, the CLI
  });
});
