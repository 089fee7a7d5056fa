// Progressive enhancement of the login forms: a show-password toggle and a
// busy button while the form is sent. Everything works without it. The
// texts come from the form's data- attributes, which the templates write in
// the page's language.
(function () {
  "use strict";

  function hidePasswords(form) {
    form.querySelectorAll("button.reveal").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("aria-controls"));
      if (input) {
        input.type = "password";
      }
      button.setAttribute("aria-pressed", "false");
    });
  }

  function addReveal(form, label) {
    form.querySelectorAll('input[type="password"]').forEach(function (input) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link reveal";
      button.textContent = label;
      button.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-controls", input.id);
      button.addEventListener("click", function () {
        var show = input.type === "password";
        input.type = show ? "text" : "password";
        button.setAttribute("aria-pressed", show ? "true" : "false");
      });
      input.insertAdjacentElement("afterend", button);
    });
  }

  // The button keeps working: a second press still sends the form, which
  // the server answers as a double click.
  function markBusy(form, label, event) {
    var button = event.submitter || form.querySelector('button[type="submit"]');
    if (!button) {
      return;
    }
    if (button.dataset.idleLabel === undefined) {
      button.dataset.idleLabel = button.textContent;
    }
    button.textContent = label;
    button.setAttribute("aria-disabled", "true");
    form.classList.add("busy");
  }

  function reset(form) {
    form.classList.remove("busy");
    form.querySelectorAll("[data-idle-label]").forEach(function (button) {
      button.textContent = button.dataset.idleLabel;
      button.removeAttribute("aria-disabled");
      delete button.dataset.idleLabel;
    });
  }

  document.querySelectorAll("form[data-show-password], form[data-busy]").forEach(function (form) {
    if (form.dataset.showPassword) {
      addReveal(form, form.dataset.showPassword);
    }
    form.addEventListener("submit", function (event) {
      // A password is sent, and offered to password managers, as one.
      hidePasswords(form);
      if (form.dataset.busy) {
        markBusy(form, form.dataset.busy, event);
      }
    });
  });

  // Back to a page the browser kept (the back button): not busy any more.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      document.querySelectorAll("form.busy").forEach(reset);
    }
  });
})();
