/**
 * Container registries: whether the images a revert would bring back are still there (the design's
 * rollback runbook: "does the old image still exist"). Only hosts listed under rewind.yaml
 * `registries:` are asked; credentials come from the worker's environment, named there.
 */
import { manifestExists, parseImageRef } from '../../src/lib/registry/oci.js';
import type { TargetSnapshot } from '../../workflows/types.js';

export interface ImageCheck {
  image: string;
  /** `unchecked`: its host is not under `registries:`. */
  state: 'present' | 'missing' | 'unknown' | 'unchecked';
  host?: string;
  detail?: string;
}

export function createRegistryActivities() {
  return {
    /** One answer per image, in order. Never fails on a registry's answer: the plan decides what it means. */
    async checkImages({ target, images }: { target: TargetSnapshot; images: string[] }): Promise<ImageCheck[]> {
      return Promise.all(
        images.map(async (image): Promise<ImageCheck> => {
          const ref = parseImageRef(image);
          if (!ref) return { image, state: 'unknown', detail: 'not an image reference rewind can read' };
          const registries = target.registries ?? {};
          if (!Object.hasOwn(registries, ref.host)) return { image, state: 'unchecked', host: ref.host };
          const r = registries[ref.host]!;
          const username = r.usernameEnv ? process.env[r.usernameEnv] : undefined;
          const password = r.passwordEnv ? process.env[r.passwordEnv] : undefined;
          const answer = await manifestExists({
            url: r.url,
            image: ref,
            ...(username !== undefined && password !== undefined ? { credentials: { username, password } } : {}),
          });
          return answer.state === 'present'
            ? { image, state: 'present', host: ref.host }
            : { image, state: answer.state, host: ref.host, detail: answer.detail };
        }),
      );
    },
  };
}
