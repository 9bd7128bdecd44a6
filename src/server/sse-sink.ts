/** Where an event stream's bytes go. */
export interface SseSink {
  /** Queues bytes for the client; returns the bytes still waiting to be sent. */
  write(bytes: Uint8Array): number;
  /** Ends the response cleanly. */
  end(): void;
}

/** A web ReadableStream as the response body: works wherever the Hono app runs. */
export function webStreamSink(onClientGone: () => void): { sink: SseSink; body: ReadableStream<Uint8Array> } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const highWaterMark = 16 * 1024;
  const body = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: onClientGone,
    },
    new ByteLengthQueuingStrategy({ highWaterMark }),
  );
  const sink: SseSink = {
    write(bytes) {
      controller.enqueue(bytes);
      return highWaterMark - (controller.desiredSize ?? highWaterMark);
    },
    end() {
      try {
        controller.close();
      } catch {
        // Already closed, or cancelled by the client.
      }
    },
  };
  return { sink, body };
}
