/**
 * @module bench/lib/nginx
 * nginx as the benches' ceiling: a plain reverse proxy with one worker (as one Node process), keep-alive
 * HTTP/1.1 to the upstream, no access log, listening over HTTPS with the proxy certificate or over plain HTTP,
 * pinned to the measured core. The config is generated into a folder of the bench's work folder and checked
 * with `nginx -t` first. bench/easyauth (HTTPS) and bench/gateway (HTTP) measure against this same nginx.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { childPids, cpuSeconds } from './proc.ts';
import { freePort, readLog, spawnPinned, stopChild, untilListening } from './servers.ts';

/** `nginx/1.22.1`, from `nginx -v`. */
export function nginxVersion(binary: string): string {
  return spawnSync(binary, ['-v'], { encoding: 'utf8' })
    .stderr.trim()
    .replace(/^nginx version: /, '');
}

export interface NginxOptions {
  readonly binary: string;
  /** A folder of its own (config, pid, error log, temp files); created when missing. */
  readonly dir: string;
  readonly upstreamPort: number;
  /** chain.pem and key.pem to listen over HTTPS; plain HTTP when undefined. */
  readonly certDir?: string | undefined;
  /** taskset list for master and worker. */
  readonly cores: string | undefined;
  readonly running: Set<ChildProcess>;
}

export interface NginxServer {
  readonly port: number;
  /** Master and worker CPU seconds so far. */
  cpu(): number;
  stop(): Promise<void>;
}

/** The generated nginx.conf. */
export function nginxConfig(dir: string, port: number, upstreamPort: number, certDir?: string): string {
  const listen = certDir
    ? `listen 127.0.0.1:${port} ssl;
    ssl_certificate ${certDir}/chain.pem;
    ssl_certificate_key ${certDir}/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;`
    : `listen 127.0.0.1:${port};`;
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    ${listen}
    keepalive_requests 1000000;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $proxy_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Proto ${certDir ? 'https' : 'http'};
      proxy_set_header X-Forwarded-Host $http_host;
    }
  }
}
`;
}

/** Starts nginx on a free port of 127.0.0.1 and resolves once it accepts connections. */
export async function startNginx(o: NginxOptions): Promise<NginxServer> {
  fs.mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const cfg = path.join(o.dir, 'nginx.conf');
  fs.writeFileSync(cfg, nginxConfig(o.dir, port, o.upstreamPort, o.certDir));
  const test = spawnSync(o.binary, ['-t', '-p', o.dir, '-c', cfg], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx refused the generated config: ${test.stderr}`);
  const child = spawnPinned(o.running, o.cores, [o.binary, '-p', o.dir, '-c', cfg], { stdio: 'ignore' });
  await untilListening(port, child, 'nginx', () => readLog(path.join(o.dir, 'error.log')));
  const pids = () => [child.pid!, ...childPids(child.pid)];
  return {
    port,
    cpu: () => pids().reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    stop: () => stopChild(child, () => childPids(child.pid)),
  };
}
