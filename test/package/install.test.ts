// The npm package as a node gets it: `npm pack` of this checkout, installed
// where nothing can compile (no cmake, cc, c++, gcc, g++, make or ninja on
// the PATH), then run: --version, ldd on the addon, a loopback session with
// the installed CLI; and the boot-environment bundle, run without the
// system's Node, and put into an initramfs by the dracut module.
import { mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, repoRoot, sha256File, uniqueChannel } from '../helpers/cli.js';
import { sampleImage } from '../helpers/image.js';
import { testResources } from '../helpers/resources.js';
import { envWithPath, lddLibraries, pathWithoutCompilers, run, RUNTIME_LIBRARY, start } from './machine.js';

const tmp = testResources();
const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const app = path.join(tmp.dir, 'app');
const installed = path.join(app, 'node_modules', 'blockcast');
const cli = path.join(app, 'node_modules', '.bin', 'blockcast');
const env = envWithPath(pathWithoutCompilers(path.join(tmp.dir, 'bin'), true));
const running: { kill(): void }[] = [];
const isRoot = process.getuid?.() === 0;
/** dracut's own files, as Debian installs them. */
const DRACUT_BASE = '/usr/lib/dracut';
let tarball = '';

beforeAll(() => {
  // What prepack makes, from this checkout's build (npm test compiled dist/,
  // npm ci the addon); then the tarball without running the scripts again.
  for (const script of [['prebuild.mjs', '--no-compile'], ['man.mjs'], ['completion.mjs']]) {
    const r = run(process.execPath, [path.join(repoRoot, 'scripts', script[0]!), ...script.slice(1)], { cwd: repoRoot, env: process.env });
    expect(r.status, r.stderr).toBe(0);
  }
  const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], { cwd: repoRoot, env: envWithPath(process.env.PATH!) });
  expect(pack.status, pack.stderr).toBe(0);
  tarball = path.join(tmp.dir, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);

  mkdirSync(app);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'node-image-tools', private: true }));
}, 170_000);

afterAll(() => running.forEach((r) => r.kill()));

describe('the npm package on a node without a compiler', () => {
  it('has nothing on the PATH that compiles', () => {
    const r = run('sh', ['-c', 'for t in cmake cc c++ gcc g++ make ninja; do command -v $t; done; true'], { env });
    expect(r.stdout).toBe('');
  });

  it('installs from the tarball', () => {
    const r = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, env });
    expect(r.status, r.stderr).toBe(0);
  });

  it('--version names the package version, isa-l and liblz4', () => {
    const r = run(cli, ['--version'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')} \\(FEC backend: isa-l \\d+\\.\\d+\\.\\d+; LZ4: liblz4 \\d+\\.\\d+\\.\\d+; seal: (OpenSSL|libsodium) `));
  });

  it('loads an addon that needs nothing outside the package but the C and C++ runtimes', () => {
    const addon = path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`, 'blockcast_native.node');
    const outside = lddLibraries(addon, env).filter((lib) => !RUNTIME_LIBRARY.test(lib.name) && !lib.path?.startsWith(installed + path.sep));
    expect(outside).toEqual([]);
  });

  it('keeps the prebuilt addon when its install script runs', () => {
    const r = run(process.execPath, [path.join(installed, 'scripts', 'install.mjs')], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`blockcast: using the prebuilt addon for ${process.platform}-${process.arch}\n`);
  });

  it('says what is missing when it has to compile and cannot', () => {
    const r = run(process.execPath, [path.join(installed, 'scripts', 'install.mjs')], { env: { ...env, BLOCKCAST_BUILD_FROM_SOURCE: '1' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('blockcast: compiling the native addon failed (cmake and c++ not found on PATH). It needs cmake, a C++17 compiler');
  });

  it('multicasts an image on loopback with the installed CLI', async () => {
    const image = sampleImage(tmp.dir, 6 * 1024 * 1024 + 4321);
    const target = path.join(tmp.dir, 'target.img');
    const { group, port } = uniqueChannel();
    const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--quiet'];
    const rx = start(cli, ['receive', target, ...net, '--wait-timeout', '60'], env);
    const tx = start(cli, ['send', image, ...net, '--min-receivers', '1', '--rate', '1g'], env);
    running.push(rx, tx);
    const [sent, received] = await Promise.all([tx.done, rx.done]);
    expect(sent.code, sent.stderr).toBe(0);
    expect(received.code, received.stderr).toBe(0);
    expect(sha256File(target)).toBe(sha256File(image));
  });
});

describe('the boot-environment bundle', () => {
  let bundle = '';

  it('unpacks and runs with its own Node, the PATH holding neither Node nor a compiler', () => {
    const made = run(process.execPath, [path.join(repoRoot, 'scripts', 'bundle.mjs'), '--tarball', tarball, '--out-dir', tmp.dir], { env: envWithPath(process.env.PATH!) });
    expect(made.status, made.stderr).toBe(0);
    bundle = made.stdout.trim();
    expect(path.basename(bundle)).toBe(`blockcast-${version}-${process.platform}-${process.arch}.tar.gz`);
    const bare = envWithPath(pathWithoutCompilers(path.join(tmp.dir, 'bare-bin'), false));
    const unpack = run('tar', ['-xzf', bundle, '-C', tmp.dir], { env: bare });
    expect(unpack.status, unpack.stderr).toBe(0);
    expect(run('sh', ['-c', 'command -v node'], { env: bare }).stdout).toBe('');
    const r = run(path.join(tmp.dir, path.basename(bundle, '.tar.gz'), 'bin', 'blockcast'), ['--version'], { env: bare });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')} \\(FEC backend: isa-l `));
  });

  // contrib/dracut/90blockcast into a real initramfs (dracut --no-kernel), unpacked; then a
  // receiver run from inside it (chroot: nothing of this machine's files but /proc and /dev,
  // mounted in a private mount namespace) gets an image the sender outside multicasts on loopback.
  const haveDracut = run('sh', ['-c', 'command -v dracut'], { env: process.env }).status === 0;
  if (process.env.CI_EXPECT_DRACUT === '1') it('has dracut (CI installs dracut-core and dracut-network)', () => expect(haveDracut).toBe(true));
  it.skipIf(!haveDracut || !isRoot)('goes into an initramfs with the dracut module, whose receiver images a disk from inside it', async () => {
    expect(bundle).not.toBe('');
    const root = path.join(tmp.dir, path.basename(bundle, '.tar.gz'));
    const conf = path.join(tmp.dir, 'dracut.conf.d');
    mkdirSync(conf);
    writeFileSync(path.join(tmp.dir, 'receive.conf'), 'BLOCKCAST_OPTS="--interface 127.0.0.1"\n');
    writeFileSync(path.join(conf, 'blockcast.conf'), `blockcast_root="${root}"\nblockcast_disks="/dev/vdz"\nblockcast_receive_conf="${path.join(tmp.dir, 'receive.conf')}"\n`);
    const initrd = path.join(tmp.dir, 'initrd.img');
    const initrdRoot = path.join(tmp.dir, 'initrd');
    mkdirSync(initrdRoot);
    // dracut as installed, but with contrib's module among its modules: a base directory of links
    // (dracut reads $dracutbasedir), so nothing under /usr/lib/dracut is touched.
    const base = path.join(tmp.dir, 'dracut-base');
    mkdirSync(path.join(base, 'modules.d'), { recursive: true });
    for (const entry of readdirSync(DRACUT_BASE)) if (entry !== 'modules.d') symlinkSync(path.join(DRACUT_BASE, entry), path.join(base, entry));
    for (const mod of readdirSync(path.join(DRACUT_BASE, 'modules.d'))) symlinkSync(path.join(DRACUT_BASE, 'modules.d', mod), path.join(base, 'modules.d', mod));
    symlinkSync(path.join(repoRoot, 'contrib', 'dracut', '90blockcast'), path.join(base, 'modules.d', '90blockcast'));
    const made = run('dracut', ['--no-kernel', '--no-compress', '--conf', '/dev/null', '--confdir', conf, '-m', 'blockcast', '--force', initrd], { env: { ...process.env, dracutbasedir: base } });
    expect(made.status, made.stderr).toBe(0);
    const unpack = run('sh', ['-c', `cpio -idm --quiet < ${initrd}`], { cwd: initrdRoot, env: process.env });
    expect(unpack.status, unpack.stderr).toBe(0);
    expect(readlinkSync(path.join(initrdRoot, 'usr/lib/systemd/system/initrd.target.wants/blockcast-receive@dev-vdz.service'))).toBe('../blockcast-receive@.service');
    expect(readFileSync(path.join(initrdRoot, 'usr/lib/systemd/system/blockcast-receive@.service'), 'utf8')).toContain('ExecStart=/opt/blockcast/bin/blockcast receive $BLOCKCAST_OPTS %f');
    expect(readFileSync(path.join(initrdRoot, 'etc/blockcast/receive.conf'), 'utf8')).toContain('--interface 127.0.0.1');

    const image = sampleImage(tmp.dir, 5 * 1024 * 1024 + 777);
    const { group, port } = uniqueChannel();
    const net = ['--interface', '127.0.0.1', '--group', group, '--port', port, '--quiet'];
    // In a mount namespace of its own: /proc and /dev are mounted for the chroot only, and vanish
    // with it (--kill-child: with unshare), so a failed or killed run leaves no mount behind.
    const chrooted = `mount -t proc proc proc && mount --rbind /dev dev && exec chroot . /opt/blockcast/bin/blockcast receive /tmp/disk.img ${net.join(' ')} --wait-timeout 60`;
    const rx = start('unshare', ['--mount', '--propagation', 'private', '--kill-child', 'sh', '-c', `cd ${initrdRoot} && ${chrooted}`], { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/' });
    const tx = start(process.execPath, [cliPath, 'send', image, ...net, '--min-receivers', '1', '--rate', '1g'], process.env);
    running.push(rx, tx);
    const [sent, received] = await Promise.all([tx.done, rx.done]);
    expect(received.code, received.stderr).toBe(0);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sha256File(path.join(initrdRoot, 'tmp', 'disk.img'))).toBe(sha256File(image));
  }, 170_000);
});
