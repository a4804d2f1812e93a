/**
 * The real traffic of the kernel tests, made in a PodLab: TLS (openssl s_server, curl) pod to pod
 * on the bridge, HTTP pod to pod over routed veths, pod to node and pod to outside, and a DNS
 * query and answer over UDP from a bridge pod to a routed one.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { NODE_BRIDGE_ADDRESS, OUTSIDE_ADDRESS, PODS, type PodLab } from './pod-lab.js';

/**
 * The pods' inventory for the apigee-hybrid-1.4 profile: the TLS pair is a matrix row
 * (apigee-connect -> mart, TCP/8443, TLS); the other flows are not.
 */
export const POD_INVENTORY = `apiVersion: flowaudit.dev/v1
kind: Inventory
entries:
  - { name: connect, addresses: [${PODS.b1.address}], components: [apigee-connect, cluster-pods] }
  - { name: mart, addresses: [${PODS.b2.address}], components: [mart, cluster-pods] }
  - { name: cassandra, addresses: [${PODS.r2.address}], components: [cassandra, cluster-pods] }
`;

/** Answers every DNS query with one A record (192.0.2.1), so the answer carries a real name. */
const DNS_SERVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 53))
while True:
    q, peer = s.recvfrom(2048)
    header = q[:2] + b"\\x81\\x80" + q[4:6] + b"\\x00\\x01\\x00\\x00\\x00\\x00"
    answer = b"\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x01\\x2c\\x00\\x04\\xc0\\x00\\x02\\x01"
    s.sendto(header + q[12:] + answer, peer)
`;

/** A plain HTTP server; http.server's own would look its address up in DNS first (seconds, offline). */
export const HTTP_SERVER = `
import functools, http.server, socketserver, sys
class Server(socketserver.TCPServer):
    allow_reuse_address = True
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
Server((sys.argv[1], int(sys.argv[2])), handler).serve_forever()
`;

const DNS_CLIENT = `
import socket, sys
q = b"\\x12\\x34\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00" + b"\\x04fa-e\\x04test\\x00" + b"\\x00\\x01\\x00\\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(q, (sys.argv[1], 53))
print(len(s.recvfrom(2048)[0]))
`;

/** Writes key.pem and cert.pem (CN fa-e-b2) into `dir`, for openssl s_server. */
export function writeServerCertificate(dir: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=fa-e-b2', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
}

/** The flows made, by client pod: what each connects to. */
export const CLIENTS = ['b1', 'b2', 'r1', 'r2'] as const;

/** Starts the servers: TLS on b2:8443, HTTP on r2:8080, the node:8081 and outside:8082, DNS on r1:53. */
export async function startServers(lab: PodLab, dir: string): Promise<void> {
  writeServerCertificate(dir);
  lab.spawn('b2', ['openssl', 's_server', '-accept', '8443', '-www', '-cert', join(dir, 'cert.pem'), '-key', join(dir, 'key.pem')]);
  lab.spawn('r2', ['python3', '-c', HTTP_SERVER, PODS.r2.address, '8080', dir]);
  lab.spawn('node', ['python3', '-c', HTTP_SERVER, NODE_BRIDGE_ADDRESS, '8081', dir]);
  lab.spawn('out', ['python3', '-c', HTTP_SERVER, OUTSIDE_ADDRESS, '8082', dir]);
  lab.spawn('r1', ['python3', '-c', DNS_SERVER]);
  await lab.waitListening('b2', 'tcp', 8443);
  await lab.waitListening('r2', 'tcp', 8080);
  await lab.waitListening('node', 'tcp', 8081);
  await lab.waitListening('out', 'tcp', 8082);
  await lab.waitListening('r1', 'udp', 53);
}

/** Makes one of each flow; throws if any exchange fails. */
export function makeTraffic(lab: PodLab): void {
  const ok = (r: { status: number | null; stderr: string }, what: string) => {
    if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr.trim()}`);
  };
  ok(lab.exec('b1', ['curl', '-sk', '--max-time', '10', '-o', '/dev/null', `https://${PODS.b2.address}:8443/`]), 'TLS b1 -> b2');
  ok(lab.exec('b1', ['curl', '-s', '--max-time', '10', '-o', '/dev/null', `http://${NODE_BRIDGE_ADDRESS}:8081/`]), 'HTTP b1 -> node');
  ok(lab.exec('r1', ['curl', '-s', '--max-time', '10', '-o', '/dev/null', `http://${PODS.r2.address}:8080/`]), 'HTTP r1 -> r2');
  ok(lab.exec('r2', ['curl', '-s', '--max-time', '10', '-o', '/dev/null', `http://${OUTSIDE_ADDRESS}:8082/`]), 'HTTP r2 -> outside');
  ok(lab.exec('b2', ['python3', '-c', DNS_CLIENT, PODS.r1.address]), 'DNS b2 -> r1');
}

/** Answers each DNS query over TCP with `sys.argv[1]` A records (192.0.2.1 ...), then closes. */
export const DNS_TCP_SERVER = `
import socket, struct, sys
count = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 53))
s.listen(8)
def read(c, n):
    b = b""
    while len(b) < n:
        more = c.recv(n - len(b))
        if not more:
            raise EOFError
        b += more
    return b
while True:
    c, _ = s.accept()
    try:
        q = read(c, struct.unpack("!H", read(c, 2))[0])
        answers = b"".join(b"\\xc0\\x0c\\x00\\x01\\x00\\x01\\x00\\x00\\x01\\x2c\\x00\\x04" + bytes([192, 0, 2, i + 1]) for i in range(count))
        m = q[:2] + b"\\x81\\x80" + q[4:6] + struct.pack("!HHH", count, 0, 0) + q[12:] + answers
        c.sendall(struct.pack("!H", len(m)) + m)
    except EOFError:
        pass
    c.close()
`;

/** One DNS query for fa-e.test over TCP to `sys.argv[1]`; prints the answer's length. */
export const DNS_TCP_CLIENT = `
import socket, struct, sys
q = b"\\x56\\x78\\x01\\x00\\x00\\x01\\x00\\x00\\x00\\x00\\x00\\x00" + b"\\x04fa-e\\x04test\\x00" + b"\\x00\\x01\\x00\\x01"
s = socket.create_connection((sys.argv[1], 53), timeout=5)
s.sendall(struct.pack("!H", len(q)) + q)
answer = b""
while True:
    more = s.recv(4096)
    if not more:
        break
    answer += more
print(len(answer))
`;
