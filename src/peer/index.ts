/** The peer-to-peer layer's public API, for the client SDK. */
export { KnownContacts, type PresentedDevice, type Trust, type TrustCheck } from "./contacts.js";
export { DIRECT_TIMEOUT_MS, dialDirect } from "./direct.js";
export { PeerError, PeerKeyMismatchError, type PeerErrorCode } from "./errors.js";
export { keyFingerprint, safetyNumber } from "./fingerprint.js";
export { defaultConfigDir, ephemeralIdentity, loadOrCreateIdentity, type Identity } from "./identity.js";
export type { ListenOptions } from "./listener.js";
export { PeerNode, type AcceptTarget, type ChatTarget, type PeerNodeOptions } from "./node.js";
export { RelayMux, wsRelayLink, type RelayLink } from "./relay.js";
export {
  PeerSession,
  type IncomingMessage,
  type OutgoingMessage,
  type PeerPath,
  type Receipt,
} from "./session.js";
export {
  FileTransfers,
  type FileTransferEvents,
  type Transfer,
  type TransferState,
} from "./file-transfer.js";
export {
  ADDRESS_MODES,
  DEFAULT_ADDRESS_MODE,
  dialPlan,
  revealsAddress,
  type AddressMode,
  type DialPolicy,
} from "./addresses.js";
export { devicePublicKeys, loadOrCreateDevice, signAsDevice, type DeviceIdentity } from "./device.js";
export { deviceIdOf, deviceSignedBy } from "./device-signature.js";
export { safetyMaterial } from "./fingerprint.js";
