// Attachments in the web client: pick or drop files, upload each straight to S3 with its
// presigned POST (a progress bar per file, from XHR upload progress), send them with the
// message, and show a message's files: images inline, anything else as a download link.
// The API never carries the bytes: it answers the upload form and, per view, a short-lived
// download URL (docs/attachments.md).

import { h, showError } from "./dom.js";

// CONTRACT.md's types and cap; the server checks them too, this only spares a round trip.
export const ALLOWED_TYPES = [
  "image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf",
  "audio/mpeg", "audio/mp4", "video/mp4", "text/plain",
];
export const MAX_BYTES = 25 * 1024 * 1024;
export const MAX_PER_MESSAGE = 10;

/** "1.2 MB" for a byte count. */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * POST `file` to S3 with the form the API answered; `onProgress(fraction)` while it goes.
 * Resolves when S3 has stored it; rejects with S3's refusal otherwise.
 */
export function uploadToS3(upload, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file); // last: S3 ignores fields after the file
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else {
        const code = /<Code>([^<]+)<\/Code>/.exec(xhr.responseText || "");
        reject(new Error(`The file storage refused ${file.name}${code ? ` (${code[1]})` : ""}.`));
      }
    });
    xhr.addEventListener("error", () => reject(new Error(`${file.name} could not be uploaded; check your connection.`)));
    xhr.send(form);
  });
}

/**
 * The composer's attachments: a file button, dropping files on the composer, and a list of
 * uploads with progress. `pending()` is true while files wait to be sent; `send(text)`
 * sends them with `text` once every upload is done.
 */
export function mountAttachmentPicker(composer, chats) {
  const uploads = []; // {file, row, bar, done: Promise, id?}
  const input = h("input", { type: "file", id: "attach-input", multiple: true, accept: ALLOWED_TYPES.join(","),
    "aria-label": "Files to attach", hidden: true });
  const button = h("button", { type: "button", class: "attach", "aria-controls": "attach-input",
    onclick: () => input.click() }, "Attach…");
  const list = h("ul", { id: "attachments-pending", class: "attachments-pending", "aria-label": "Files to send" });
  composer.querySelector("button[type=submit]").before(button);
  composer.append(input, list);

  const remove = (entry) => {
    uploads.splice(uploads.indexOf(entry), 1);
    entry.row.remove();
    if (entry.preview) URL.revokeObjectURL(entry.preview);
  };

  const add = (file) => {
    const chat = chats.active;
    if (!chat) return;
    if (chat.kind === "direct" && chat.exists === false) {
      showError("Send a first message to start this chat, then attach files.");
      return;
    }
    if (!ALLOWED_TYPES.includes(file.type)) {
      showError(`${file.name}: this kind of file cannot be sent (${file.type || "unknown type"}).`);
      return;
    }
    if (file.size > MAX_BYTES || file.size === 0) {
      showError(`${file.name}: files must be between 1 byte and 25 MB.`);
      return;
    }
    if (uploads.length >= MAX_PER_MESSAGE) {
      showError(`A message carries at most ${MAX_PER_MESSAGE} files.`);
      return;
    }
    const bar = h("progress", { max: "1", value: "0", "aria-label": `Uploading ${file.name}` });
    const entry = { file, chatId: chat.id, bar };
    // An image shows a thumbnail while it uploads (a blob: URL of the local file, never sent anywhere).
    entry.preview = file.type.startsWith("image/") ? URL.createObjectURL(file) : null;
    entry.row = h("li", { class: "attachment-pending" },
      entry.preview ? h("img", { class: "attachment-thumb", src: entry.preview, alt: "" }) : null,
      h("span", { class: "attachment-label" }, `${file.name} (${formatSize(file.size)})`), bar,
      h("button", { type: "button", class: "link", "aria-label": `Remove ${file.name}`,
        onclick: () => remove(entry) }, "×"));
    list.append(entry.row);
    uploads.push(entry);
    entry.done = (async () => {
      const { attachment, upload } = await chats.api.createAttachment(chat.id, file);
      await uploadToS3(upload, file, (fraction) => { bar.value = fraction; });
      bar.value = 1;
      entry.id = attachment.id;
      entry.row.classList.add("uploaded");
    })();
    entry.done.catch((error) => {
      showError(error.message);
      remove(entry);
    });
  };

  input.addEventListener("change", () => {
    for (const file of input.files) add(file);
    input.value = "";
  });
  composer.addEventListener("dragover", (event) => {
    event.preventDefault();
    composer.classList.add("dropping");
  });
  composer.addEventListener("dragleave", () => composer.classList.remove("dropping"));
  composer.addEventListener("drop", (event) => {
    event.preventDefault();
    composer.classList.remove("dropping");
    for (const file of event.dataTransfer.files) add(file);
  });
  chats.on("active", () => { for (const entry of [...uploads]) remove(entry); });

  return {
    pending: () => uploads.length > 0,
    async send(text) {
      const chat = chats.active;
      const sending = uploads.filter((entry) => entry.chatId === chat.id);
      await Promise.all(sending.map((entry) => entry.done));
      const ids = sending.map((entry) => entry.id);
      const { message } = chat.kind === "group"
        ? await chats.api.sendToGroup(chat.id, text, undefined, ids)
        : await chats.api.sendDirect([chats.me.email, chat.peer.email], chats.me.email, text, undefined, ids);
      for (const entry of sending) remove(entry);
      chats.takeMessages(chat.id, [message]);
    },
  };
}

/** A message's files, or null: images shown inline, others as download links. */
export function attachmentsElement(message, api) {
  if (!message.attachments || !message.attachments.length) return null;
  return h("ul", { class: "attachments" }, message.attachments.map((attachment) => {
    const label = `${attachment.name ?? "file"} (${formatSize(attachment.size)})`;
    if (attachment.contentType.startsWith("image/")) {
      const image = h("img", { class: "attachment-image", alt: attachment.name ?? "image", loading: "lazy" });
      // Fetched, then shown from a blob: URL, so the page's Content-Security-Policy lets
      // images come only from itself (img-src 'self' data: blob:), never from elsewhere.
      fetchBlob(api, attachment)
        .then((blob) => { image.src = URL.createObjectURL(blob); })
        .catch(() => { image.alt = `${label}: unavailable`; });
      return h("li", {}, image);
    }
    const link = h("a", { href: "#", class: "attachment-link", onclick: (event) => {
      event.preventDefault();
      download(api, attachment).catch((error) => showError(error.message));
    } }, `Download ${label}`);
    return h("li", {}, link);
  }));
}

async function fetchBlob(api, attachment) {
  const { url } = await api.attachment(attachment.id);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${attachment.name ?? "The file"} could not be downloaded.`);
  return response.blob();
}

// A fresh presigned URL per click (they last minutes), fetched as a blob so it is saved under
// its own name (the URL itself carries no name).
async function download(api, attachment) {
  const blob = await fetchBlob(api, attachment);
  const link = h("a", { href: URL.createObjectURL(blob), download: attachment.name ?? "file", hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}
