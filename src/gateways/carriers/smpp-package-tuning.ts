/**
 * One change to the `smpp` package's behaviour-free internals, applied once on import.
 *
 * Every GSM-7 message it decodes (every delivery receipt, on the platform side; every submission,
 * on the simulator side) goes through `gsmCoder.getCoder`, which checks whether its tables are
 * built with `Object.keys(table).length`: an array of 128 strings allocated per message, about 4 %
 * of a process' CPU at 10,000 messages per second, plus the garbage. The tables never change
 * once built, so the coder for each table is remembered after its first call.
 */
import smpp from 'smpp';

const built = new Map<number | undefined, unknown>();
const getCoder = smpp.gsmCoder.getCoder;

smpp.gsmCoder.getCoder = function rememberedCoder(this: unknown, encoding?: number): unknown {
  let coder = built.get(encoding);
  if (coder === undefined) {
    coder = getCoder.call(this, encoding);
    built.set(encoding, coder);
  }
  return coder;
};
