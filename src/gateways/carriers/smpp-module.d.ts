/**
 * Types for the parts of the `smpp` package (0.5.x, CommonJS, untyped) that the carrier gateway
 * and the simulator use. Field values of a PDU depend on its command, hence `unknown` members
 * that the callers narrow (see `pdu-fields.ts`).
 */
declare module 'smpp' {
  import { EventEmitter } from 'node:events';
  import { Server as NetServer, type Socket } from 'node:net';

  namespace smpp {
    class PDU {
      constructor(command: string, options?: Record<string, unknown>);
      /** Decodes a PDU from its bytes (as received). */
      constructor(buffer: Buffer);
      command: string;
      command_id: number;
      command_status: number;
      sequence_number: number;
      [field: string]: unknown;
      isResponse(): boolean;
      response(options?: Record<string, unknown>): PDU;
      toBuffer(): Buffer;
    }

    /** What `Session.send` needs of a PDU: requests get their sequence number assigned before `toBuffer`. */
    interface OutgoingPdu {
      sequence_number: number;
      isResponse(): boolean;
      toBuffer(): Buffer;
    }

    class Session extends EventEmitter {
      socket: Socket;
      /** false when the socket is not writable: the PDU was not sent and its callback never runs. */
      send(pdu: OutgoingPdu, responseCallback?: (response: PDU) => void, sendCallback?: (sent: OutgoingPdu) => void): boolean;
      close(callback?: () => void): void;
      destroy(callback?: () => void): void;
      pause(): void;
      resume(): void;
      on(event: 'pdu', listener: (pdu: PDU) => void): this;
      on(event: 'connect' | 'close', listener: () => void): this;
      on(event: 'error', listener: (error: Error) => void): this;
      on(event: string, listener: (...args: never[]) => void): this;
    }

    class Server extends NetServer {
      sessions: Session[];
    }

    interface ConnectOptions {
      host: string;
      port: number;
    }

    /** The package's GSM 03.38 codec, used when it decodes data_coding 0 messages. */
    const gsmCoder: {
      getCoder(this: unknown, encoding?: number): unknown;
      /** Bytes of GSM 03.38 septets (one per byte) to text; `encoding` picks a national shift table (0 or absent: the default alphabet). */
      decode(this: unknown, bytes: Buffer, encoding?: number): string;
    };

    /** Command status names (`ESME_RTHROTTLED`...) to their values. */
    const errors: Record<string, number>;

    function connect(options: ConnectOptions, listener?: () => void): Session;
    function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
  }

  export = smpp;
}
