/**
 * A message's file: an image as its thumbnail (a click opens the full image in a new tab), anything
 * else as a card with name, size, type and a download link. The URLs are signed for this user.
 */
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { formatBytes, type FileInfo, type OpResult } from "../../protocol/index.js";
import type { WebApp } from "../app/controller.js";

export function FileView({ app, file }: { app: WebApp; file: FileInfo }): JSX.Element {
  const [urls, setUrls] = useState<OpResult<"file.url"> | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    app.files.signed(file.id).then(
      (r) => live && setUrls(r),
      (e: unknown) => live && setFailed((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, [file.id]);
  const facts = `${formatBytes(file.size)}, ${file.type}`;
  if (file.thumbnail && urls?.thumbnailUrl) {
    return (
      <a
        class="file-image"
        href={urls.url}
        target="_blank"
        rel="noopener noreferrer"
        title={`${file.name} (${facts})`}
      >
        <img
          src={urls.thumbnailUrl}
          width={file.thumbnail.width}
          height={file.thumbnail.height}
          alt={`${file.name} (${facts})`}
        />
      </a>
    );
  }
  return (
    <div class="file-card" role="group" aria-label={`File ${file.name}`}>
      <span class="file-name">{file.name}</span> <span class="file-facts">{facts}</span>{" "}
      {urls ? (
        <a href={urls.url} download={file.name}>
          Download
        </a>
      ) : (
        <span class="file-facts">{failed ?? "…"}</span>
      )}
    </div>
  );
}
