// Credential hygiene for PostgreSQL URLs: anything we log or throw names the server, never the password.
// Pure functions, unit-tested in postgres-url.test.ts.

// Query parameters pg accepts that carry a secret (`?password=`, `?sslpassword=`) or could.
const secretParam = /pass|secret|token/i;

/** The URL with its password and secret query parameters replaced by `***`. */
export function redactPostgresUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can take apart safely: say so rather than echo it.
    return '<unparseable postgres url>';
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) {
    if (secretParam.test(key)) parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}

/** Every form in which the URL's secrets could show up in an error message (raw and percent-decoded). */
export function postgresUrlSecrets(url: string): string[] {
  const secrets = new Set<string>();
  const add = (value: string) => {
    if (value === '') return;
    secrets.add(value);
    try {
      secrets.add(decodeURIComponent(value));
    } catch {
      // Malformed percent-encoding: the raw form is already covered.
    }
  };
  try {
    const parsed = new URL(url);
    add(parsed.password);
    for (const [key, value] of parsed.searchParams) if (secretParam.test(key)) add(value);
  } catch {
    // Unparseable: fall back to the userinfo between '://' and the last '@' before the host.
    const userinfo = /^[^:]+:\/\/([^/?#]*)@/.exec(url)?.[1];
    if (userinfo?.includes(':')) add(userinfo.slice(userinfo.indexOf(':') + 1));
  }
  return [...secrets];
}

/** Replaces each secret in `text` with `***`; the last line of defence for error details. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}
