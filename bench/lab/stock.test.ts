// SPDX-License-Identifier: MIT
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moduleLoadOrder, moduleName, parseCandidate, parseDepends, stockPackagesFrom } from './stock.js';

const META = `linux-image-amd64
  Depends: linux-image-6.1.0-57-amd64
`;
const HEADERS = `linux-headers-6.12.117+deb12-amd64
  Depends: linux-base
  Depends: linux-headers-6.12.117+deb12-common
 |Depends: linux-image-6.12.117+deb12-amd64
  Depends: linux-image-6.12.117+deb12-amd64-unsigned
  Depends: linux-kbuild-6.12.117+deb12
  Depends: gcc-12
  Depends: <linux-initramfs-tool>
`;
const POLICY = `linux-image-6.1.0-57-amd64:
  Installed: (none)
  Candidate: 6.1.192-3
  Version table:
     6.1.192-3 500
`;

test('apt-cache output: the image behind the meta package, its version and the headers build support', () => {
  assert.deepEqual(parseDepends(META), ['linux-image-6.1.0-57-amd64']);
  assert.equal(parseCandidate(POLICY), '6.1.192-3');
  assert.equal(parseCandidate('  Candidate: (none)\n'), undefined);
  const p = stockPackagesFrom(META, HEADERS.replace(/6\.12\.117\+deb12/g, '6.1.0-57'), POLICY);
  assert.equal(p.image, 'linux-image-6.1.0-57-amd64');
  assert.equal(p.release, '6.1.0-57-amd64');
  assert.equal(p.version, '6.1.192-3');
  // headers, -common and kbuild; never the image itself, gcc or virtual packages
  assert.deepEqual(p.headers, ['linux-headers-6.1.0-57-amd64', 'linux-headers-6.1.0-57-common', 'linux-kbuild-6.1.0-57']);
});

test('no candidate or no image: an error that says to update apt', () => {
  assert.throws(() => stockPackagesFrom(META, HEADERS, 'x:\n  Candidate: (none)\n'), /apt-get update/);
  assert.throws(() => stockPackagesFrom('linux-image-amd64\n', HEADERS, POLICY), /no linux-image/);
});

const DEP = `kernel/fs/9p/9p.ko.xz: kernel/fs/netfs/netfs.ko.xz kernel/net/9p/9pnet.ko.xz
kernel/fs/netfs/netfs.ko.xz:
kernel/net/9p/9pnet.ko.xz:
kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/drivers/virtio/virtio_ring.ko.xz
kernel/drivers/virtio/virtio_ring.ko.xz:
kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio_ring.ko.xz
`;

test('initramfs modules load dependencies first, once each; built-in ones are skipped, unknown ones refused', () => {
  assert.equal(moduleName('kernel/drivers/char/hw_random/virtio-rng.ko.xz'), 'virtio_rng');
  assert.equal(moduleName('a/9pnet.ko'), '9pnet');
  const order = moduleLoadOrder(DEP, 'kernel/drivers/virtio/virtio_pci.ko\n', ['virtio_pci', '9pnet_virtio', '9p', 'virtio-rng']);
  assert.deepEqual(order, [
    'kernel/net/9p/9pnet.ko.xz',
    'kernel/drivers/virtio/virtio_ring.ko.xz',
    'kernel/net/9p/9pnet_virtio.ko.xz',
    'kernel/fs/netfs/netfs.ko.xz',
    'kernel/fs/9p/9p.ko.xz',
    'kernel/drivers/char/hw_random/virtio-rng.ko.xz',
  ]);
  assert.throws(() => moduleLoadOrder(DEP, '', ['virtio_pci']), /no module virtio_pci/);
});
