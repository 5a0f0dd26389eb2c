// A fresh RSA key pair for a test GitHub App, in the PEM forms GitHub hands out.
import { generateKeyPairSync } from 'node:crypto';

/** Generates a 2048-bit RSA key; `pkcs1` is what GitHub's "generate a private key" download holds. */
export function generateAppKey(): { pkcs1: string; pkcs8: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
