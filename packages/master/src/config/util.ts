/**
 * `util` for configs: build-time values (renderables) from the engine, under Buildbot's names
 * (Interpolate, Property, Secret, renderer, Transform) and lower-case aliases.
 */
import { Interpolate, Property, Secret, Transform, renderer } from '../process/renderables.js';

export const util = {
  Interpolate, Property, Secret, Transform, renderer,
  interpolate: Interpolate,
  property: Property,
  secret: Secret,
  transform: Transform,
} as const;
