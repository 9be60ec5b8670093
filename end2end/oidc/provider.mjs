// A real OpenID Connect provider for the browser tests: `oidc-provider` (OpenID Certified),
// on plain http loopback, with one confidential client for the Lanyard under test and its
// development login and consent screens (any login name, any password).
//
//   OIDC_PORT=4000 LANYARD_URL=http://127.0.0.1:3000 node oidc/provider.mjs
//
// Environment: OIDC_PORT (required), LANYARD_URL (required: the redirect URI is
// `${LANYARD_URL}/auth/oidc/callback`), OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (defaults
// below). Whoever signs in is the same person: SSO_EMAIL (default sso.user@example.com),
// email verified, named SSO User; the login name typed becomes the subject.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const lanyard = process.env.LANYARD_URL;
if (!port || !lanyard) {
  console.error('OIDC_PORT and LANYARD_URL are required');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const email = process.env.SSO_EMAIL ?? 'sso.user@example.com';

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID ?? 'lanyard-e2e',
      client_secret: process.env.OIDC_CLIENT_SECRET ?? 'lanyard-e2e-secret',
      redirect_uris: [`${lanyard.replace(/\/$/, '')}/auth/oidc/callback`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  async findAccount(_ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email, email_verified: true, name: 'SSO User' };
      },
    };
  },
  // Test-only cookie signing key; the provider refuses to start without one in production.
  cookies: { keys: ['lanyard-e2e-cookie-key'] },
  features: { devInteractions: { enabled: true } },
});

// The development screens pull a web font from Google; nothing may leave loopback.
provider.use(async (ctx, next) => {
  await next();
  if (typeof ctx.body === 'string' && ctx.type?.includes('html')) {
    ctx.body = ctx.body.replace(/@import url\([^)]*\);/g, '');
  }
});

provider.listen(port, '127.0.0.1', () => {
  console.log(JSON.stringify({ issuer }));
});
