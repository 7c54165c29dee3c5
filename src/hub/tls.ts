/** The hub's TLS identity: a self-signed certificate made on first start, or the operator's own. */
import { X509Certificate } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generate } from "selfsigned";

export interface TlsIdentity {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, uppercase hex pairs joined by colons (what clients pin). */
  fingerprint: string;
}

export function fingerprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.toUpperCase();
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Loads `<dataDir>/tls/{cert,key}.pem`, creating a 10-year self-signed P-256 certificate the first time. */
export async function selfSignedIdentity(
  dataDir: string,
  host: string,
): Promise<TlsIdentity & { created: boolean }> {
  const dir = join(dataDir, "tls");
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const [cert, key] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (cert && key) return { cert, key, fingerprint: fingerprintOf(cert), created: false };
  const now = new Date();
  const altNames: Array<{ type: 2; value: string } | { type: 7; ip: string }> = [
    { type: 2, value: "localhost" },
    { type: 7, ip: "127.0.0.1" },
    { type: 7, ip: "::1" },
  ];
  if (/^[\d.]+$|:/.test(host)) {
    if (host !== "127.0.0.1" && host !== "::1" && host !== "0.0.0.0" && host !== "::")
      altNames.push({ type: 7, ip: host });
  } else if (host !== "localhost") {
    altNames.push({ type: 2, value: host });
  }
  const pems = await generate([{ name: "commonName", value: "parley hub" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: now,
    notAfterDate: new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true },
      { name: "subjectAltName", altNames },
    ],
  });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await chmod(keyPath, 0o600);
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return { cert: pems.cert, key: pems.private, fingerprint: fingerprintOf(pems.cert), created: true };
}

export async function identityFromFiles(certPath: string, keyPath: string): Promise<TlsIdentity> {
  const [cert, key] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
  return { cert, key, fingerprint: fingerprintOf(cert) };
}
