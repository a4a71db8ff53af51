"""Attachments in the web client: a file picked in one browser goes straight to S3 (moto)
with a progress bar, is sent with a message, and shows in the other browser as an inline
image or a download link that saves the same bytes."""
import struct
import zlib

import pytest
from playwright.sync_api import expect

from tests.live import unique_email

pytestmark = pytest.mark.stack


def tiny_png(width=4, height=3):
    """A valid PNG (so the browser really decodes it), red pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_a_photo_shows_inline_and_a_pdf_downloads_with_the_same_bytes(stack, open_client):
    alice, bob = open_client(), open_client()
    alice.sign_up("Alice", unique_email("alice"))
    bob.sign_up("Bob", unique_email("bob"))
    name = f"Photos {unique_email('g')[:10]}"
    alice.create_group(name)
    bob.find_and_join(name)

    alice.page.locator("#attach-input").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": tiny_png()})
    pending = alice.page.locator("#attachments-pending li")
    expect(pending).to_contain_text("logo.png")
    expect(pending.locator("progress")).to_be_visible()
    thumbnail = pending.locator("img.attachment-thumb")  # a preview of the picked photo while it uploads
    alice.page.wait_for_function("img => img.complete && img.naturalWidth === 4", arg=thumbnail.element_handle())
    expect(pending).to_have_class("attachment-pending uploaded")
    alice.composer.fill("Our logo")
    alice.composer.press("Enter")
    expect(alice.message("Our logo")).to_be_visible()
    expect(pending).to_have_count(0)

    image = bob.message("Our logo").locator("img.attachment-image")
    expect(image).to_have_attribute("alt", "logo.png")
    bob.page.wait_for_function("img => img.complete && img.naturalWidth === 4", arg=image.element_handle())

    pdf = b"%PDF-1.4\n% a tiny report\n"
    alice.page.locator("#attach-input").set_input_files(
        {"name": "report.pdf", "mimeType": "application/pdf", "buffer": pdf})
    expect(pending).to_have_class("attachment-pending uploaded")
    alice.page.get_by_role("button", name="Send").click()  # no text: the file alone is the message
    link = bob.page.get_by_role("link", name=f"Download report.pdf ({len(pdf)} B)")
    with bob.page.expect_download() as download:
        link.click()
    saved = download.value
    assert saved.suggested_filename == "report.pdf"
    with open(saved.path(), "rb") as file:
        assert file.read() == pdf


@pytest.mark.viewports("desktop")  # checked before any upload: no layout involved
def test_a_file_of_a_type_that_cannot_be_sent_is_refused_before_upload(stack, open_client):
    alice = open_client()
    alice.sign_up("Alice", unique_email("alice"))
    alice.create_group(f"Files {unique_email('g')[:10]}")
    alice.page.locator("#attach-input").set_input_files(
        {"name": "page.html", "mimeType": "text/html", "buffer": b"<script>alert(1)</script>"})
    expect(alice.alert).to_contain_text("this kind of file cannot be sent")
    expect(alice.page.locator("#attachments-pending li")).to_have_count(0)


@pytest.mark.viewports("desktop")  # dropping files is a desktop gesture
def test_a_file_dropped_on_the_composer_is_uploaded(stack, open_client):
    alice = open_client()
    alice.sign_up("Alice", unique_email("alice"))
    alice.create_group(f"Drops {unique_email('g')[:10]}")
    alice.page.evaluate("""() => {
        const data = new DataTransfer();
        data.items.add(new File(["dropped notes"], "notes.txt", { type: "text/plain" }));
        document.getElementById("composer").dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true }));
    }""")
    pending = alice.page.locator("#attachments-pending li")
    expect(pending).to_have_class("attachment-pending uploaded")
    alice.page.get_by_role("button", name="Send").click()
    expect(alice.messages.get_by_role("link", name="Download notes.txt (13 B)")).to_be_visible()
