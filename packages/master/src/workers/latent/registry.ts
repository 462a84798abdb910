/**
 * Latent worker providers by the spec's `kind` (`latent.docker({...})` gives 'docker'): each makes
 * a LatentProvider (provider.ts) from its spec. A new provider is its file plus one line here.
 * None exist yet: the worker-pools issue brings `latent.docker`, `latent.local`, `latent.command`
 * and the config that names them.
 */
import type { LatentProvider } from './provider.js';

export interface LatentProviderSpec { readonly kind: string }

export interface LatentProviderKind<S extends LatentProviderSpec = LatentProviderSpec> {
  create(spec: S): LatentProvider;
}

export type LatentProviderKinds = Readonly<Record<string, LatentProviderKind<any>>>;

export const LATENT_PROVIDER_KINDS: LatentProviderKinds = {};

export class LatentConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'LatentConfigError'; }
}

/** Makes the provider a spec names; `kinds` defaults to this master's (tests add their own). */
export function createLatentProvider(spec: LatentProviderSpec, kinds: LatentProviderKinds = LATENT_PROVIDER_KINDS): LatentProvider {
  const kind = Object.hasOwn(kinds, spec.kind) ? kinds[spec.kind] : undefined;
  if (!kind) {
    const known = Object.keys(kinds);
    throw new LatentConfigError(`unknown latent worker provider ${JSON.stringify(spec.kind)}; ${known.length ? `providers are: ${known.join(', ')}` : 'this mastro has no latent worker providers yet'}`);
  }
  return kind.create(spec);
}
