/**
 * Secret shapes for the security tests: realistic values with the secret part named. A place that
 * shows a value passes only when the secret part is gone from everything it shows.
 */

/** Built from parts, so no test fixture looks like a live credential to a scanner. */
const j = (...parts: string[]): string => parts.join('');
const HEX40 = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';

/** [what, the value, the secret part of it]. */
export const SHAPES: readonly (readonly [string, string, string])[] = [
  ['postgres URL password', 'postgres://etl:Pa55word@db.internal:5432/x', 'Pa55word'],
  ['mysql URL password', 'mysql://root:r00tpw@10.0.0.3/app', 'r00tpw'],
  ['amqp URL password', 'amqp://guest:gu3stpw@mq/vhost', 'gu3stpw'],
  ['redis URL password only', 'redis://:r3dispw@cache:6379/0', 'r3dispw'],
  ['mongodb+srv URL', 'mongodb+srv://app:m0ngopw@cluster0.example.net/db', 'm0ngopw'],
  ['URL password with @', 'https://svc:p@ssw0rd@host.example.com/api', 'ssw0rd'],
  ['URL password with :', 'ftp://u:pa:ss99w@ftp.example.com/', 'ss99w'],
  ['URL password with /', 'postgres://u:pa/ss77w@db/x', 'ss77w'],
  ['URL password with %', 'https://u:p%40ss66w@host/', 'ss66w'],
  ['token as URL user', j('https://', 'ghp_', 'A'.repeat(36), '@github.com/acme/models.git'), 'A'.repeat(36)],
  ['hex token as URL user', `https://${HEX40}@git.example.com/r.git`, HEX40],
  [
    'x-access-token URL',
    j('https://x-access-token:', 'ghs_', 'B'.repeat(36), '@github.com/o/r'),
    'B'.repeat(36),
  ],
  ['GitHub classic token', j('ghp_', 'C'.repeat(36)), 'C'.repeat(36)],
  ['GitHub OAuth token', j('gho_', 'D'.repeat(36)), 'D'.repeat(36)],
  ['GitHub fine-grained token', j('github_pat_', '11ABCDEFG0', 'e'.repeat(40)), 'e'.repeat(40)],
  ['Slack bot token', j('xoxb-', '1234567890-', '0987654321-', 'F'.repeat(24)), 'F'.repeat(24)],
  ['Slack user token', j('xoxp-', '1234567890-', '1234567890-', 'G'.repeat(24)), 'G'.repeat(24)],
  ['Slack app token', j('xapp-', '1-A0123-', '4567-', 'h'.repeat(30)), 'h'.repeat(30)],
  ['Anthropic key', j('sk-ant-', 'api03-', 'I'.repeat(40)), 'I'.repeat(40)],
  ['Stripe live key', j('sk_live_', 'J'.repeat(24)), 'J'.repeat(24)],
  ['Stripe restricted key', j('rk_live_', 'K'.repeat(24)), 'K'.repeat(24)],
  ['sk-live key', j('sk-live-', 'L'.repeat(24)), 'L'.repeat(24)],
  ['AWS access key id', j('AKIA', 'M'.repeat(16)), 'M'.repeat(16)],
  ['AWS session key id', j('ASIA', 'N'.repeat(16)), 'N'.repeat(16)],
  [
    'private key block',
    j('-----BEGIN RSA PRIVATE KEY-----\nMIIEow', 'O'.repeat(40), '\n-----END RSA PRIVATE KEY-----'),
    'O'.repeat(40),
  ],
  [
    'OpenSSH private key block',
    j('-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn', 'P'.repeat(40), '\n-----END OPENSSH PRIVATE KEY-----'),
    'P'.repeat(40),
  ],
  ['Bearer header', j('Bearer ', 'eyJhbGciOi', 'Q'.repeat(30)), 'Q'.repeat(30)],
  ['Basic header', j('Basic ', 'dXNlcjpw', 'R'.repeat(20)), 'R'.repeat(20)],
  ['Discord bot header', j('Bot ', 'MTIz', 'S'.repeat(40)), 'S'.repeat(40)],
  ['Azure SAS sig', j('https://acct.blob.core.windows.net/c/b?sv=2022&sig=', 'T'.repeat(30)), 'T'.repeat(30)],
  ['S3 presigned', j('https://b.s3.amazonaws.com/k?X-Amz-Signature=', 'u'.repeat(40)), 'u'.repeat(40)],
  ['Google API key param', j('https://maps.example.com/api?key=', 'V'.repeat(30)), 'V'.repeat(30)],
  ['access_token param', j('https://api.example.com/me?access_token=', 'W'.repeat(30)), 'W'.repeat(30)],
  ['signature param', j('https://cdn.example.com/f?exp=1&signature=', 'X'.repeat(30)), 'X'.repeat(30)],
  ['Slack webhook', j('https://hooks.slack.com/services/T000/B000/', 'Y'.repeat(24)), 'Y'.repeat(24)],
  ['Discord webhook', j('https://discord.com/api/webhooks/123456/', 'Z'.repeat(40)), 'Z'.repeat(40)],
  [
    'Teams webhook',
    j('https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/', 'k'.repeat(32)),
    'k'.repeat(32),
  ],
  ['Zapier hook', j('https://hooks.zapier.com/hooks/catch/123/', 'm'.repeat(24)), 'm'.repeat(24)],
  ['password assignment', 'password = "hunter2hunter2"', 'hunter2hunter2'],
  ['env-style assignment', 'DB_PASSWORD=s3cr3tValue9', 's3cr3tValue9'],
  ['client_secret assignment', 'client_secret: "cs-99887766"', 'cs-99887766'],
  ['JSON property', '{"api_key":"ak-55443322"}', 'ak-55443322'],
];
