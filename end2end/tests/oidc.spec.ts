import { expect, request, test } from '@playwright/test';
import { admin, waitUntilInteractive } from './steps';

// Set by scripts/test, which runs `oidc/provider.mjs` (the certified `oidc-provider`) on
// loopback and points Lanyard's LANYARD_OIDC_* settings at it.
const providerUrl = process.env.LANYARD_E2E_OIDC_URL;
const ssoUser = {
  email: process.env.LANYARD_E2E_SSO_EMAIL ?? 'sso.user@example.com',
  displayName: 'SSO Person',
};

test.describe('single sign-on', () => {
  test.skip(!providerUrl, 'no OpenID Connect provider configured (scripts/test starts one)');

  // The owner gives the SSO person an account with a role, as Settings → People does;
  // SSO then matches it by the verified email the provider sends.
  test.beforeAll(async ({ baseURL }) => {
    const owner = await request.newContext({ baseURL });
    const login = await owner.post('/api/login', {
      form: { email: admin.email, password: admin.password, next: '' },
      maxRedirects: 0,
    });
    expect(login.status()).toBeLessThan(400);
    const created = await owner.post('/api/people/create', {
      form: {
        email: ssoUser.email,
        display_name: ssoUser.displayName,
        password: `unused-${Math.random().toString(36).slice(2)}-password`,
        installation_role: 'none',
      },
    });
    // 409: the other Playwright project created it already.
    expect([200, 409]).toContain(created.status());
    const membership = await owner.post('/api/people/membership', {
      form: { email: ssoUser.email, org: 'acme-robotics', role: 'requester' },
    });
    expect(membership.status()).toBe(200);
    await owner.dispose();
  });

  test('signing in through the identity provider lands in Lanyard', async ({ page, baseURL, javaScriptEnabled }) => {
    // Nothing may leave loopback, whatever the provider's pages ask for.
    await page.route(
      (url) => url.hostname !== '127.0.0.1' && url.hostname !== 'localhost',
      (route) => route.abort(),
    );
    await page.goto('/login');
    await waitUntilInteractive(page, javaScriptEnabled);
    await page.getByRole('link', { name: 'Sign in with SSO' }).click();

    // The provider's own development login and consent screens.
    await expect(page).toHaveURL(new RegExp(`^${providerUrl}/interaction/`));
    await page.getByPlaceholder('Enter any login').fill('sso-user');
    await page.getByPlaceholder('and password').fill('any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Back in Lanyard, signed in as the person the provider vouched for, with their role.
    await expect(page.locator('.account-name')).toHaveText(ssoUser.displayName);
    await expect(page.locator('.account-name')).toHaveAttribute('title', ssoUser.email);
    expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
    await expect(page.getByText('Your role here: Requester.')).toBeVisible();
  });

  test('an error from single sign-on is explained on the login page', async ({ page, javaScriptEnabled }) => {
    // A callback with no sign-in pending in this browser (a replayed or forwarded link).
    await page.goto('/auth/oidc/callback?code=forged&state=forged');
    await expect(page).toHaveURL(/\/login\?error=sso_expired$/);
    await waitUntilInteractive(page, javaScriptEnabled);
    await expect(page.getByRole('alert')).toHaveText(
      'That sign-in attempt expired or came from another browser. Please try again.',
    );
    await expect(page.getByRole('link', { name: 'Sign in with SSO' })).toBeVisible();
  });
});
