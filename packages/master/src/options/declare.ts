/**
 * The few building blocks the option declarations (this folder) are written with. An option is
 * declared once, as a JSON Schema fragment carrying its type, its limits, its `default` and its
 * doc (`description`); from that one declaration come the TypeScript type (TypeBox's `Static<>`),
 * the defaults object the code reads (`defaultsOf`), and the published JSON Schema of the YAML form
 * (scripts/build-schema.mjs writes schema/master-config.schema.json).
 *
 * `Type` is TypeBox's builder API, implemented here for the kinds this folder uses, and typed with
 * TypeBox's own types so `Static<>` works: TypeBox's runtime (13 MiB, seconds to import on a busy
 * machine) is then never loaded by the master or by a config importing `mastro`; only its types are.
 *
 * The helpers emit exactly the JSON Schema the hand-written schema used (`type: ['integer','null']`,
 * a bare `const`, a bare `enum`), because the YAML validator's messages depend on the keywords.
 */
import type {
  Static, TArray, TBoolean, TInteger, TNull, TNumber, TObject, TOptional, TProperties, TSchema, TString, TUnion, TUnknown, TUnsafe,
} from '@sinclair/typebox';

export type { Static };

type Keywords = Record<string, unknown>;
/** Marks a property `Type.Optional` (a symbol: never part of the published JSON). */
const OPTIONAL: unique symbol = Symbol('mastro.option.optional');

export const Type = {
  String: (o: Keywords = {}) => ({ ...o, type: 'string' }) as unknown as TString,
  Integer: (o: Keywords = {}) => ({ ...o, type: 'integer' }) as unknown as TInteger,
  Number: (o: Keywords = {}) => ({ ...o, type: 'number' }) as unknown as TNumber,
  Boolean: (o: Keywords = {}) => ({ ...o, type: 'boolean' }) as unknown as TBoolean,
  Null: (o: Keywords = {}) => ({ ...o, type: 'null' }) as unknown as TNull,
  /** Any value (`{}`). */
  Unknown: (o: Keywords = {}) => ({ ...o }) as unknown as TUnknown,
  Array: <T extends TSchema>(items: T, o: Keywords = {}) => ({ ...o, type: 'array', items }) as unknown as TArray<T>,
  Union: <T extends TSchema[]>(anyOf: [...T], o: Keywords = {}) => ({ ...o, anyOf }) as unknown as TUnion<T>,
  /** An object whose properties are required unless wrapped in `Type.Optional`. */
  Object: <P extends TProperties>(properties: P, o: Keywords = {}) => {
    const required = Object.keys(properties).filter((k) => !(OPTIONAL in (properties[k] as object)));
    return { ...o, type: 'object', properties, ...(required.length ? { required } : {}) } as unknown as TObject<P>;
  },
  Optional: <T extends TSchema>(type: T) => ({ ...type, [OPTIONAL]: true }) as unknown as TOptional<T>,
  /** A schema written as JSON Schema, with the TypeScript type `T`. */
  Unsafe: <T>(schema: Keywords) => ({ ...schema }) as unknown as TUnsafe<T>,
};

/** An optional option with its default; the default is part of the declaration and of the published schema. */
export function Default<T extends TSchema, D extends Static<T>>(type: T, value: D): TOptional<T & { default: D }> {
  return Type.Optional({ ...type, default: value } as T & { default: D }) as TOptional<T & { default: D }>;
}

/** `T` or null, as JSON Schema's `type: [T, 'null']` (ajv then says "must be X or null" once). */
export function Nullable<T extends TSchema>(type: T): TUnsafe<Static<T> | null> {
  const { type: t, ...rest } = type as unknown as { type: string };
  return Type.Unsafe<Static<T> | null>({ type: [t, 'null'], ...rest });
}

/** Exactly `value` (`{ const: value }`, no `type`). */
export function Const<const V extends string | number | boolean>(value: V): TUnsafe<V> {
  return Type.Unsafe<V>({ const: value });
}

/** One of `values` (`{ enum: [...] }`). */
export function Enum<const V extends readonly string[]>(values: V, options: Record<string, unknown> = {}): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ enum: [...values], ...options });
}

/** Any mapping (`{ type: 'object' }`): its keys are checked where the option is used. */
export function AnyObject(options: Record<string, unknown> = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: 'object', ...options });
}

/** A mapping of any keys to `T` values. */
export function MapOf<T extends TSchema>(values: T, options: Record<string, unknown> = {}): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: values, ...options });
}

/** A mapping with exactly these options (unknown keys are refused with a "did you mean"). */
export function Options<P extends TProperties>(properties: P, options: Record<string, unknown> = {}): TObject<P> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** A reference to a definition of the published schema (`#/definitions/<name>`, see published-schema.ts). */
export function Ref<T = unknown>(name: string, options: Record<string, unknown> = {}): TUnsafe<T> {
  return Type.Unsafe<T>({ $ref: `#/definitions/${name}`, ...options });
}

/** The defaults of an options object: the options declared with `Default(...)`, nothing else. */
export type DefaultsOf<P extends TProperties> = {
  readonly [K in keyof P as P[K] extends { default: unknown } ? K : never]: P[K] extends { default: infer D } ? D : never;
};

export function defaultsOf<P extends TProperties>(schema: TObject<P>): DefaultsOf<P> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties)) if ('default' in prop) out[key] = prop.default;
  return Object.freeze(out) as DefaultsOf<P>;
}
