// A client-go exec credential plugin for the test world (`node exec-credential-plugin.mjs <config.json>`),
// the way `aws eks get-token` or gke-gcloud-auth-plugin is one: it prints an ExecCredential whose
// token carries its own expiry, HMAC-signed with the world's key, and whose
// status.expirationTimestamp is that same instant, a few seconds ahead. The world's TokenReview
// webhook (exec-credentials.ts) accepts the token until then. With "mode": "invalid" in the config
// it signs with another key, as a plugin handing out credentials the cluster no longer trusts.
// Every run is appended to the config's issued log, so a test can count refreshes.
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const exp = Math.floor(Date.now() / 1000) + config.lifetimeSeconds;
const payload = Buffer.from(JSON.stringify({ sub: config.user, exp, n: randomBytes(6).toString('hex') })).toString(
  'base64url',
);
const key = config.mode === 'invalid' ? 'not-the-world-key' : config.key;
const sig = createHmac('sha256', key).update(`${config.prefix}.${payload}`).digest('base64url');
appendFileSync(config.issuedLog, `${new Date().toISOString()} ${config.mode} exp=${exp}\n`);
process.stdout.write(
  JSON.stringify({
    apiVersion: 'client.authentication.k8s.io/v1',
    kind: 'ExecCredential',
    status: {
      token: `${config.prefix}.${payload}.${sig}`,
      expirationTimestamp: new Date(exp * 1000).toISOString().replace('.000Z', 'Z'),
    },
  }),
);
