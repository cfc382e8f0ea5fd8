// SPDX-License-Identifier: MIT
// The varlink transport's protocol side, through the real peer (native/transports/varlink.c as an RPC server): we talk
// Varlink to it over a socket (Node's stdio pipes are AF_UNIX socketpairs) and check that calls it cannot serve get the
// standard Varlink errors and that text which is not Varlink ends the peer with one readable line, never a crash or a
// hang.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { native, PEER_PATH } from '../common/addon.js';
import { VARLINK_VERSION, varlink } from './varlink.js';

const MAX_MSG = 4096;

interface Server {
  sock: Duplex;
  /** Next NUL-terminated message from the server. */
  next(): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function startServer(): Server {
  const child = spawn(PEER_PATH, ['--transport', 'varlink', '--role', 'server', '--max-msg', String(MAX_MSG), '--fds', '3'], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const sock = child.stdio[3] as Duplex;
  let buf = Buffer.alloc(0);
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  const ready: Record<string, unknown>[] = [];
  sock.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (let i = buf.indexOf(0); i >= 0; i = buf.indexOf(0)) {
      const msg = JSON.parse(buf.subarray(0, i).toString()) as Record<string, unknown>;
      buf = buf.subarray(i + 1);
      const w = waiting.shift();
      if (w) w(msg);
      else ready.push(msg);
    }
  });
  sock.on('error', () => {});
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return {
    sock,
    next: () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise((resolve) => waiting.push(resolve))),
    exited: new Promise((resolve) =>
      // 'close', not 'exit': only then has all of its stderr been read (the tests assert on it)
      child.once('close', (code, signal) => {
        clearTimeout(timeout);
        resolve({ code, signal, stderr });
      }),
    ),
  };
}

const send = (s: Server, text: string) => s.sock.write(Buffer.concat([Buffer.from(text), Buffer.from([0])]));

test('varlink is listed as our own implementation, needing no library', async () => {
  assert.ok(
    native()
      .transports()
      .some((t) => t.name === 'varlink'),
  );
  assert.deepEqual(await varlink.probe(), { available: true, version: VARLINK_VERSION });
});

test('a call to another method gets org.varlink.service.MethodNotFound and the server keeps serving', async () => {
  const s = startServer();
  send(s, '{"method":"org.ipcbench.Echo.Nope","parameters":{}}');
  const r1 = await s.next();
  assert.equal(r1.error, 'org.varlink.service.MethodNotFound');
  // unknown members of any type are skipped, as the specification allows
  send(s, '{"method":"org.example.Other","parameters":{"x":[1,2.5e3,{"y":null}],"z":"\\u00e9\\n"},"org.example.ext":{"a":true}}');
  assert.equal((await s.next()).error, 'org.varlink.service.MethodNotFound');
  s.sock.end();
  const done = await s.exited;
  assert.equal(done.code, 1);
  assert.match(done.stderr, /receive: the harness closed the connection/);
});

test('Echo without a usable base64 data parameter gets org.varlink.service.InvalidParameter', async () => {
  const s = startServer();
  for (const params of ['{}', '{"data":"not base64!"}', '{"data":"QUJD="}', '{"data":"QQ==QUJD"}', '{"data":"\\u00e9AAA"}']) {
    send(s, `{"method":"org.ipcbench.Echo.Echo","parameters":${params}}`);
    const r = await s.next();
    assert.equal(r.error, 'org.varlink.service.InvalidParameter', params);
    assert.deepEqual(r.parameters, { parameter: 'data' });
  }
  s.sock.end();
  assert.equal((await s.exited).code, 1);
});

test('an Echo whose payload is not an ipcbench message fails the integrity check, not the parser', async () => {
  const s = startServer();
  // "\/" is a legal JSON escape inside the base64 string
  send(s, '{"method":"org.ipcbench.Echo.Echo","parameters":{"data":"aGVsbG8\\/"}}');
  const done = await s.exited;
  assert.equal(done.code, 1);
  assert.match(done.stderr, /integrity check failed on request 0/);
});

for (const [what, text, reason] of [
  ['not JSON', '{{{', /malformed message \(expected a string\)/],
  ['a truncated object', '{"method":"org.ipcbench.Echo.Echo","parameters":{"data":"QUJD"}', /malformed message \(expected ',' or '}'\)/],
  ['text after the object', '{"method":"x"} {}', /malformed message \(text after the object\)/],
  ['a non-boolean "more"', '{"method":"org.ipcbench.Echo.Echo","more":1}', /malformed message \(more\/oneway\/continues must be a boolean\)/],
  ['a control character in a string', '{"method":"a\u0001b"}', /malformed message \(control character in a string\)/],
  ['nesting deeper than 32', `{"method":"x","parameters":{"y":${'['.repeat(100)}${']'.repeat(100)}}}`, /malformed message \(nested too deeply\)/],
  ['a reply where a call belongs', '{"parameters":{"data":"QUJD"}}', /receive: Bad message/],
] as const) {
  test(`${what} ends the server with one readable line and exit code 1`, async () => {
    const s = startServer();
    send(s, text);
    const done = await s.exited;
    assert.equal(done.code, 1, done.stderr);
    assert.equal(done.signal, null);
    assert.match(done.stderr, reason);
    assert.ok(!/at .*\(|Segmentation|Assertion/.test(done.stderr), done.stderr);
  });
}

test('a message without its NUL terminator that outgrows the largest message is refused, not buffered forever', async () => {
  const s = startServer();
  s.sock.write('{"method":"org.ipcbench.Echo.Echo","parameters":{"data":"' + 'A'.repeat(4 * MAX_MSG));
  const done = await s.exited;
  assert.equal(done.code, 1);
  assert.match(done.stderr, /receive: Message too long/);
});
