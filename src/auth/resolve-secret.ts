/** The token secret from a CLI flag or SLUICE_SECRET; without one, tokens can be neither made nor checked. */
export function resolveSecret(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const secret = flag ?? env.SLUICE_SECRET;
  if (!secret) {
    throw new Error('no token secret: pass --secret <secret> or set SLUICE_SECRET (sluice serve and sluice token must share it)');
  }
  if (Buffer.byteLength(secret) < 32) {
    throw new Error(`the token secret must be at least 32 bytes, got ${Buffer.byteLength(secret)} (make one with: openssl rand -hex 32)`);
  }
  return secret;
}
