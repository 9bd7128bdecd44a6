/** Which files are text: cheap checks on the path first (no fetch), then on the bytes. */

/** Extensions that are binary often enough that fetching them is a waste. */
const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif bmp ico icns webp tif tiff psd ai sketch fig heic avif ' +
    'pdf doc docx xls xlsx ppt pptx odt ods odp key numbers pages ' +
    'zip gz tgz bz2 xz zst 7z rar tar jar war ear whl egg nupkg apk ipa dmg iso ' +
    'exe dll so dylib o a lib obj class pyc pyo wasm bin dat db sqlite sqlite3 ' +
    'mp3 mp4 m4a m4v mov avi mkv webm wav flac ogg aac wma ' +
    'woff woff2 ttf otf eot ' +
    'pt pth onnx h5 pb tflite safetensors ckpt npy npz parquet avro orc pkl'
  ).split(' '),
);

export function hasBinaryExtension(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 && BINARY_EXTENSIONS.has(name.slice(dot + 1).toLowerCase());
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of `bytes`, or undefined when they are binary: a NUL byte, or not valid UTF-8. */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
