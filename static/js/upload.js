// The builder's upload: a file uploads as soon as it is chosen (IDX once both images and labels are), with its
// progress; what the server says of it is shown as a result or as an error, and the data set's fields follow.
import { problems } from "./api.js";

function send(data, progress) {
  // XMLHttpRequest, not fetch: only it reports an upload's progress
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/uploads");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) progress.value = event.loaded / event.total;
    });
    request.addEventListener("load", () => {
      let body;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = { detail: request.responseText.slice(0, 300) || request.statusText };
      }
      resolve({ status: request.status, body });
    });
    request.addEventListener("error", () => resolve({ status: 0, body: { detail: "could not reach the server" } }));
    request.send(data);
  });
}

function describe(body) {
  const what = `${body.name}: ${body.n_samples} samples, ${body.kind} ${JSON.stringify(body.input_shape)}, `;
  if (body.task !== "classification") return what + "regression";
  const names = body.classes.slice(0, 12).join(", ") + (body.classes.length > 12 ? ", …" : "");
  return what + `${body.n_classes} classes: ${names}`;
}

async function upload(form, chosen) {
  const box = document.getElementById("upload-box");
  const [result, error, progress] = ["upload-result", "upload-error", "upload-progress"].map((id) =>
    document.getElementById(id));
  const files = Object.fromEntries(Array.from(box.querySelectorAll("input[data-upload]"))
    .filter((input) => input.files[0]).map((input) => [input.dataset.upload, input.files[0]]));
  const data = new FormData();
  if (chosen.dataset.upload === "file") data.append("file", files.file);
  else if (files.images && files.labels) ["images", "labels"].forEach((key) => data.append(key, files[key]));
  else {
    result.textContent = `now choose the ${files.images ? "labels" : "images"} file`;
    return;
  }
  error.hidden = true;
  result.textContent = "uploading…";
  progress.value = 0;
  progress.hidden = false;
  const answer = await send(data, progress);
  progress.hidden = true;
  if (answer.status !== 201) {
    result.textContent = "";
    error.textContent = problems(answer.body.detail).map((p) => p.msg).join("; ");
    error.hidden = false;
    return;
  }
  result.textContent = describe(answer.body);
  form.querySelector("#section-dataset").dataset.task = answer.body.task; // the losses are marked for it
  const id = form.querySelector("[name='dataset.params.upload_id']");
  id.value = answer.body.id;
  id.dispatchEvent(new Event("change", { bubbles: true })); // the network is sized for it, the link and plan follow
}

document.addEventListener("change", (event) => {
  const form = document.getElementById("builder");
  if (form && event.target.matches("#upload-box input[data-upload]") && event.target.files[0]) {
    upload(form, event.target);
  }
});
