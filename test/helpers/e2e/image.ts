// A busybox OCI image made by hand, because no image registry is reachable from the machines
// that run the tests: one uncompressed layer (the test suite's cached busybox rootfs), an image
// config, a manifest and an index, packed as an OCI image layout tar that both
// `ctr images import` and `podman load` accept, or the same layer and config as a docker-archive
// tar for `docker load`. buildOciImage makes the same from any directory (the CRI test's pause
// image: one static binary).

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { baseRootfs } from '../rootfs';

export interface BuiltImage {
  /** The OCI layout tar. */
  tar: string;
  /** The full reference both engines know the image by after loading it. */
  ref: string;
}

interface Blob {
  digest: string;
  size: number;
}

function writeBlob(layout: string, data: Buffer): Blob {
  const hex = createHash('sha256').update(data).digest('hex');
  fs.writeFileSync(path.join(layout, 'blobs', 'sha256', hex), data);
  return { digest: `sha256:${hex}`, size: data.length };
}

function tar(args: string[]): void {
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
}

/**
 * Builds the layout tar in `dir` (which must exist). Owner and mtime are fixed so that the layer
 * digest, hence the image id, is the same on every run: a re-import is then a no-op.
 */
export function buildBusyboxImage(dir: string, ref = 'localhost/tsrunc-e2e/busybox:latest'): BuiltImage {
  return buildOciImage(dir, BUSYBOX(ref));
}

export interface ImageRecipe {
  ref: string;
  /** The directory that becomes the image's only layer. */
  rootfs: string;
  cmd?: string[];
  entrypoint?: string[];
}

const BUSYBOX = (ref: string): ImageRecipe => ({ ref, rootfs: baseRootfs(), cmd: ['sh'] });

/** The recipe's layer (uncompressed, deterministic) and an image config naming it. */
function layerAndConfig(dir: string, recipe: ImageRecipe): { layerData: Buffer; layerDigest: string; configData: Buffer } {
  const layerTar = path.join(dir, 'layer.tar');
  tar(['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', recipe.rootfs, '-cf', layerTar, '.']);
  const layerData = fs.readFileSync(layerTar);
  fs.rmSync(layerTar);
  const layerDigest = `sha256:${createHash('sha256').update(layerData).digest('hex')}`;
  const configData = Buffer.from(JSON.stringify({
    created: '1970-01-01T00:00:00Z',
    architecture: goArch(),
    os: 'linux',
    config: {
      Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'],
      ...(recipe.entrypoint ? { Entrypoint: recipe.entrypoint } : {}),
      ...(recipe.cmd ? { Cmd: recipe.cmd } : {}),
      WorkingDir: '/',
    },
    // An uncompressed layer's diff id is its own digest.
    rootfs: { type: 'layers', diff_ids: [layerDigest] },
    history: [{ created: '1970-01-01T00:00:00Z', created_by: 'tsrunc test/helpers/e2e/image.ts' }],
  }));
  return { layerData, layerDigest, configData };
}

/** The layout tar of `recipe` in `dir` (which must exist); reproducible like buildBusyboxImage. */
export function buildOciImage(dir: string, recipe: ImageRecipe): BuiltImage {
  const { ref } = recipe;
  const layout = path.join(dir, 'layout');
  fs.mkdirSync(path.join(layout, 'blobs', 'sha256'), { recursive: true });

  const { layerData, configData } = layerAndConfig(dir, recipe);
  const layer = writeBlob(layout, layerData);
  const config = writeBlob(layout, configData);

  const manifest = writeBlob(layout, Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));

  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      platform: { architecture: goArch(), os: 'linux' },
      annotations: {
        // containerd names the image after this one; podman after the OCI ref name.
        'io.containerd.image.name': ref,
        'org.opencontainers.image.ref.name': ref,
      },
    }],
  }));

  const out = path.join(dir, `${path.basename(ref.split(':')[0])}-oci.tar`);
  tar(['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', layout, '-cf', out, '.']);
  fs.rmSync(layout, { recursive: true, force: true });
  return { tar: out, ref };
}

/**
 * The same image as a docker-archive tar (what `docker save` writes and Docker 20.10's
 * `docker load` reads; it does not read OCI layouts): manifest.json naming the config file, the
 * repository tag and the layer tars.
 */
export function buildBusyboxDockerArchive(dir: string, ref = 'tsrunc-e2e/busybox:latest'): BuiltImage {
  const archive = path.join(dir, 'docker-archive');
  const { layerData, layerDigest, configData } = layerAndConfig(dir, BUSYBOX(ref));
  const layerHex = layerDigest.slice('sha256:'.length);
  const configFile = `${createHash('sha256').update(configData).digest('hex')}.json`;
  fs.mkdirSync(path.join(archive, layerHex), { recursive: true });
  fs.writeFileSync(path.join(archive, layerHex, 'layer.tar'), layerData);
  fs.writeFileSync(path.join(archive, configFile), configData);
  fs.writeFileSync(path.join(archive, 'manifest.json'), JSON.stringify([
    { Config: configFile, RepoTags: [ref], Layers: [`${layerHex}/layer.tar`] },
  ]));
  const out = path.join(dir, 'busybox-docker.tar');
  tar(['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', archive, '-cf', out, '.']);
  fs.rmSync(archive, { recursive: true, force: true });
  return { tar: out, ref };
}

function goArch(): string {
  switch (process.arch) {
    case 'x64': return 'amd64';
    case 'ia32': return '386';
    default: return process.arch; // arm64, arm, s390x, ppc64 are spelled the same
  }
}
