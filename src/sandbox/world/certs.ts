/**
 * Certificates for a loopback kube-apiserver, made with openssl the way envtest does:
 * a CA, a serving cert for localhost/127.0.0.1, an admin client cert in system:masters,
 * and an RSA key pair that signs service-account tokens.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClusterCerts {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed: ${(err as Error).message}. Install openssl (apt-get install openssl).`);
  }
}

async function signed(
  dir: string,
  name: string,
  subject: string,
  ext: string,
  caCert: string,
  caKey: string,
): Promise<[string, string]> {
  const key = path.join(dir, `${name}.key`),
    csr = path.join(dir, `${name}.csr`),
    crt = path.join(dir, `${name}.crt`),
    extFile = path.join(dir, `${name}.ext`);
  await writeFile(extFile, ext);
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  await openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caCert,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '365',
    '-extfile',
    extFile,
    '-out',
    crt,
  ]);
  return [crt, key];
}

export async function makeClusterCerts(dir: string): Promise<ClusterCerts> {
  const caKey = path.join(dir, 'ca.key'),
    caCert = path.join(dir, 'ca.crt');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  await openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-subj',
    '/CN=rewind-test-ca',
    '-days',
    '365',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    caCert,
  ]);
  const [serverCert, serverKey] = await signed(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n' +
      'extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n',
    caCert,
    caKey,
  );
  const [adminCert, adminKey] = await signed(
    dir,
    'admin',
    '/O=system:masters/CN=admin',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n',
    caCert,
    caKey,
  );
  const saKey = path.join(dir, 'sa.key'),
    saPub = path.join(dir, 'sa.pub');
  await openssl(['genrsa', '-out', saKey, '2048']);
  await openssl(['rsa', '-in', saKey, '-pubout', '-out', saPub]);
  return { caCert, caKey, serverCert, serverKey, adminCert, adminKey, saKey, saPub };
}

export async function b64(file: string): Promise<string> {
  return (await readFile(file)).toString('base64');
}
