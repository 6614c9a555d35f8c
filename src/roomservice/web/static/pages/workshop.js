// The workshop: your projects and those shared with you, and a form for a new one. Projects belong
// to accounts: a guest is sent to sign up or log in first.

import { $, client, describe, fill, h, loadSession, toast } from "/static/pages/common.js";
import { ago, needAccount } from "/static/pages/sculpture.js";

function projectRow(project, me) {
  const shared = project.owner !== me;
  return h(
    "li",
    { class: "project", "data-project": project.id },
    h("a", { class: "title", href: `/workshop/${encodeURIComponent(project.id)}`, text: project.name }),
    h(
      "span",
      { class: "meta" },
      shared ? `shared by ${project.owner}` : "yours",
      project.collaborators.length ? ` · with ${project.collaborators.join(", ")}` : "",
      ` · version ${project.version} · saved ${ago(project.saved_at)}`,
    ),
  );
}

function newProjectForm() {
  const name = h("input", { id: "project-name", name: "name", required: true, maxlength: 80, autocomplete: "off" });
  const description = h("input", { id: "project-description", name: "description", maxlength: 1000, autocomplete: "off" });
  const error = h("p", { id: "project-error", class: "error-text", role: "alert" });
  const form = h(
    "form",
    { id: "new-project", novalidate: true, class: "panel" },
    h("h2", { text: "New project" }),
    h("div", { class: "field" }, h("label", { for: "project-name", text: "Name" }), name),
    h("div", { class: "field" }, h("label", { for: "project-description", text: "Description (optional)" }), description),
    error,
    h("div", { class: "row" }, h("button", { class: "primary", type: "submit" }, "Create project")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const project = await client.createProject(name.value.trim(), description.value.trim());
      globalThis.location.assign(`/workshop/${encodeURIComponent(project.id)}`);
    } catch (err) {
      error.textContent = describe(err);
      name.focus();
    }
  });
  return form;
}

async function main() {
  const session = await loadSession();
  const main = $("#main");
  if (!session?.account) {
    needAccount(main);
    return;
  }
  let projects;
  try {
    projects = await client.projects();
  } catch (err) {
    fill(main, h("p", { class: "notice", role: "alert", text: `Could not load your projects: ${describe(err)}` }));
    toast(describe(err));
    return;
  }
  const me = session.account.username;
  fill(
    main,
    h("h1", { text: "Workshop" }),
    h("p", { class: "muted", text: "Build voxel sculptures together: everyone with the project open sees every cube as it is placed." }),
    h("div", { class: "workshop-home" },
      h(
        "section",
        { "aria-labelledby": "projects-title" },
        h("h2", { id: "projects-title", text: "Your projects" }),
        projects.length
          ? h("ul", { class: "plain projects", id: "projects" }, projects.map((p) => projectRow(p, me)))
          : h("p", { class: "muted", id: "projects", text: "No projects yet: create one, or ask a friend to add you to theirs." }),
      ),
      newProjectForm(),
    ),
  );
}

main();
