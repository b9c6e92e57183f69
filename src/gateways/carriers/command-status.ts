/**
 * SMPP command_status values the gateway acts on, and what a submit_sm answer means for the
 * message: sent, slow down and retry the same part, fail for now, or fail for good.
 */
export const ESME_ROK = 0x00;
export const ESME_RINVCMDID = 0x03;
export const ESME_RINVBNDSTS = 0x04;
export const ESME_RALYBND = 0x05;
export const ESME_RSYSERR = 0x08;
export const ESME_RINVDSTADR = 0x0b;
export const ESME_RBINDFAIL = 0x0d;
export const ESME_RINVPASWD = 0x0e;
export const ESME_RMSGQFUL = 0x14;
export const ESME_RSUBMITFAIL = 0x45;
export const ESME_RTHROTTLED = 0x58;
/** "Temporary application error": the receiver could not take the PDU now, send it again later. */
export const ESME_RX_T_APPN = 0x64;
export const ESME_RUNKNOWNERR = 0xff;

export type SubmitAnswer = 'accepted' | 'slow-down' | 'temporary' | 'permanent';

/** Statuses that say "not now" rather than "never" (SMPP 3.4 table 5-2 and common carrier practice). */
const TEMPORARY: ReadonlySet<number> = new Set([ESME_RSYSERR, ESME_RSUBMITFAIL, ESME_RX_T_APPN, ESME_RUNKNOWNERR]);

export function classifySubmitStatus(status: number): SubmitAnswer {
  if (status === ESME_ROK) return 'accepted';
  if (status === ESME_RTHROTTLED || status === ESME_RMSGQFUL) return 'slow-down';
  return TEMPORARY.has(status) ? 'temporary' : 'permanent';
}
