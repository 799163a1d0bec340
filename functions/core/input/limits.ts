/** Hard caps that protect a function with a fixed memory size from hostile or broken input. */
export interface InputLimits {
  /** Decompressed (or plain) bytes read from one file. */
  maxDecompressedBytes: number;
  /** Output/input ratio allowed for gzip once `ratioGraceBytes` have been produced. */
  maxCompressionRatio: number;
  /** Decompressed bytes produced before the ratio is enforced (small files compress very well). */
  ratioGraceBytes: number;
  /** One CSV record, in bytes. */
  maxRecordBytes: number;
  /** Fields in one record (and in the header). */
  maxColumns: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_LIMITS: InputLimits = {
  maxDecompressedBytes: 8 * 1024 * MiB,
  maxCompressionRatio: 200,
  ratioGraceBytes: 64 * MiB,
  maxRecordBytes: 1 * MiB,
  maxColumns: 512,
};

export function resolveLimits(partial: Partial<InputLimits> = {}): InputLimits {
  return { ...DEFAULT_LIMITS, ...partial };
}
