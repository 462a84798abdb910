/**
 * Twisted's Perspective Broker (PB), the protocol every Buildbot worker speaks by default, and
 * `buildbot sendchange`, `buildbot try --connect=pb` and Buildbot's post-receive scripts use:
 * banana framing, jelly serialisation, the broker's calls and references, and cred login.
 *
 * A server that accepts logins and exposes one method to each logged-in user:
 *
 * ```ts
 * import { createServer } from 'node:net';
 * import { pb } from 'mastro-protocol';
 *
 * createServer((socket) => {
 *   const broker = new pb.Broker(socket, { role: 'server' });
 *   broker.setNamedObject('root', pb.portalRoot({
 *     passwordDigest: (user) => (user === 'change' ? pb.md5Digest('changepw') : null),
 *     perspective: () => new pb.Referenceable({ addChange: ({ args: [change] }) => { console.log(change); return null; } }),
 *   }, socket.remoteAddress ?? 'unknown'));
 * }).listen(9989);
 * ```
 *
 * A client: `const broker = new pb.Broker(socket, { role: 'client' }); await broker.ready;
 * const perspective = await pb.login(broker.remoteForName('root'), 'change', 'changepw');
 * await perspective.callRemote('addChange', { who: 'a', files: [] });`
 */
export { Broker, dialectOffer } from './broker.js';
export type { BrokerOptions, BrokerCloseInfo } from './broker.js';
export { Referenceable, RemoteReference } from './referenceable.js';
export type { RemoteMethod, IncomingCall, CallOptions } from './referenceable.js';
export { portalRoot, login, respond, md5Digest } from './cred.js';
export type { PbPortal, PbLoginLimiter } from './cred.js';
export { PbFailure, PbError, FailureTypes, COPYABLE_FAILURE_TYPE } from './failure.js';
export { PbTuple, PbCopy, Unpersistable } from './jelly-types.js';
export { pbText } from './text.js';
export type { CopyableFactory } from './jelly-types.js';
export { PbFloat, encodeBanana } from './banana-encoder.js';
export type { BananaInput, BananaEncodeOptions } from './banana-encoder.js';
export { BananaDecoder, resolveBananaLimits } from './banana-decoder.js';
export type { BananaValue, BananaLimits } from './banana-decoder.js';
export { jelly } from './jelly-encoder.js';
export type { JellyContext } from './jelly-encoder.js';
export { unjelly } from './jelly-decoder.js';
export type { UnjellyContext } from './jelly-decoder.js';
export { PbErrorCodes, PbErrorCatalog, PbProtocolError, PbRemoteError } from './errors.js';
export type { PbErrorCode } from './errors.js';
export * from './constants.js';
