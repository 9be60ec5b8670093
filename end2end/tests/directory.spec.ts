import { expect, test, type Page } from '@playwright/test';
import { admin, jumpcloudGet, signIn, waitUntilInteractive } from './steps';

// System groups, applications, policies and commands of a demo organization, each
// change checked in the simulator. The two projects run at the same time on the same
// demo data, so each works on its own objects.
const org = 'acme-robotics';
const orgName = 'Acme Robotics';

async function open(page: Page, javaScriptEnabled: boolean, path: string) {
  await signIn(page, admin.email, admin.password, javaScriptEnabled);
  await expect(page).toHaveURL(/\/o\/acme-robotics$/);
  await page.goto(`/o/${org}/${path}`);
  await waitUntilInteractive(page, javaScriptEnabled);
}

async function memberIds(path: string): Promise<string[]> {
  const members = await jumpcloudGet(orgName, path);
  return members.map((member: any) => member.to.id);
}

test('systems are added to a system group and removed again', async ({ page, javaScriptEnabled }) => {
  const groupName = javaScriptEnabled ? 'Mac fleet' : 'Stale devices';
  await open(page, javaScriptEnabled, 'system-groups');
  await page.getByRole('link', { name: groupName, exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: groupName })).toBeVisible();
  await waitUntilInteractive(page, javaScriptEnabled);
  const groupId = new URL(page.url()).pathname.split('/').pop()!;
  const membersPath = `/api/v2/systemgroups/${groupId}/members?limit=100`;

  const add = page.getByRole('form', { name: 'Add systems' });
  const candidate = add.getByRole('checkbox').first();
  const systemId = (await candidate.getAttribute('value'))!;
  expect(await memberIds(membersPath)).not.toContain(systemId);
  await candidate.check();
  await add.getByRole('button', { name: 'Add selected' }).click();
  await expect(page.getByRole('form', { name: 'Remove systems' }).locator(`input[value="${systemId}"]`)).toBeVisible();
  expect(await memberIds(membersPath)).toContain(systemId);

  const remove = page.getByRole('form', { name: 'Remove systems' });
  await remove.locator(`input[value="${systemId}"]`).check();
  await remove.getByRole('button', { name: 'Remove selected' }).click();
  await expect(page.getByRole('form', { name: 'Add systems' }).locator(`input[value="${systemId}"]`)).toBeVisible();
  expect(await memberIds(membersPath)).not.toContain(systemId);
});

test('a user group is bound to an application and unbound', async ({ page, javaScriptEnabled }) => {
  const groupName = javaScriptEnabled ? 'VPN Users' : 'Laptop Admins';
  const applications = await jumpcloudGet(orgName, '/api/applications?limit=100&sort=_id');
  const application = applications.results[0];
  const label = application.displayLabel ?? application.displayName ?? application.name;
  const groups = await jumpcloudGet(orgName, '/api/v2/usergroups?limit=100&sort=name');
  const groupId = groups.find((group: any) => group.name === groupName).id;
  const boundPath = `/api/v2/applications/${application._id}/associations?targets=user_group&limit=100`;

  await open(page, javaScriptEnabled, 'apps');
  await page.getByRole('table', { name: 'Applications' }).getByRole('link', { name: label, exact: true }).click();
  await waitUntilInteractive(page, javaScriptEnabled);
  const bind = page.getByRole('form', { name: 'Bind a group' });
  await bind.getByLabel('Group to bind').selectOption({ label: groupName });
  await bind.getByRole('button', { name: 'Bind group' }).click();
  const bound = page.getByRole('list', { name: 'Groups bound to the application' });
  await expect(bound.getByRole('link', { name: groupName })).toBeVisible();
  expect(await memberIds(boundPath)).toContain(groupId);

  await page.getByRole('form', { name: `Unbind ${groupName}` }).getByRole('button', { name: 'Unbind' }).click();
  await expect(bound.getByRole('link', { name: groupName })).toHaveCount(0);
  expect(await memberIds(boundPath)).not.toContain(groupId);
});

test('each policy lists its latest result on every system it ran on', async ({ page, javaScriptEnabled }) => {
  const policies = await jumpcloudGet(orgName, '/api/v2/policies?limit=100');
  const policy = policies[0];
  const statuses = await jumpcloudGet(orgName, `/api/v2/policies/${policy.id}/policystatuses?limit=100`);
  const systems = new Set(statuses.map((status: any) => status.systemID));
  expect(systems.size).toBeGreaterThan(0);

  await open(page, javaScriptEnabled, 'policies');
  const panel = page.locator('section.policy').filter({ has: page.getByRole('heading', { name: policy.name, exact: true }) });
  await panel.locator('summary').click();
  const rows = panel.getByRole('table', { name: `Results of ${policy.name}` }).locator('tbody tr');
  await expect(rows).toHaveCount(systems.size);
});

test('a saved command runs on the ticked system once confirmed', async ({ page, javaScriptEnabled }) => {
  const commands = await jumpcloudGet(orgName, '/api/commands?limit=100&sort=_id');
  const command = commands.results.find((c: any) => c.name === 'Install Homebrew');
  await open(page, javaScriptEnabled, `commands/${command._id}`);
  const run = page.getByRole('form', { name: 'Run the command' });
  // An online system answers at once, so its result shows in JumpCloud. The projects
  // start from opposite ends of the list, so they do not count each other's runs.
  const boxes = run.locator('input[name^="system_ids"]');
  const all = await boxes.all();
  let picked = '';
  for (const box of javaScriptEnabled ? all : all.reverse()) {
    const system = await jumpcloudGet(orgName, `/api/systems/${await box.getAttribute('value')}`);
    if (system.active) {
      picked = system.displayName;
      await box.check();
      break;
    }
  }
  expect(picked, `an online Mac among ${await boxes.count()} systems`).not.toBe('');
  const resultsOn = async (name: string) =>
    (await jumpcloudGet(orgName, `/api/commands/${command._id}/results?limit=100`)).filter((r: any) => r.system === name).length;
  const before = await resultsOn(picked);

  await run.getByLabel(/Run Install Homebrew on the ticked systems/).check();
  await run.getByRole('button', { name: 'Run command' }).click();
  await expect(page.locator('p.notice')).toContainText('Queued');
  expect(await resultsOn(picked)).toBe(before + 1);
});
