/** The serial proxy moved to local/ (the local reading room runs it too); tests import it from here as before. */
export { startSerialProxy, type FaultInjector, type FaultMode, type SerialProxy } from '../../local/serial-proxy';
