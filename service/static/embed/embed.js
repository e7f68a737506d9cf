/*
 * Comments for a page on any site:
 *
 *   <div id="moderation-comments">
 *     <a href="https://moderation.example/articles/ARTICLE-ID">Read the comments and leave a reply</a>
 *   </div>
 *   <script src="https://moderation.example/embed.js" data-post-id="ARTICLE-ID" async></script>
 *
 * Renders the published thread (from the feed, each comment with its "Report" link to the
 * service's report form) and the "Leave a reply" form into
 * #moderation-comments (or the element data-target names), replacing the link, which is what
 * readers without scripts keep. Posts to intake and shows the service's own messages.
 * No framework, no eval, no inline styles or handlers: a site's strict Content-Security-Policy
 * needs only to allow this origin in script-src, style-src and connect-src.
 * Optional attributes: data-per-page (top-level comments per load, default 50),
 * data-permalink (the article's address, default this page's), data-title and data-section
 * (the article's title and section, shown to moderators; the site's API may set them too).
 * On an article whose comments are closed, the form gives way to "Comments are closed.".
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !script.getAttribute("data-post-id")) { return; }
  var postId = script.getAttribute("data-post-id");
  var origin = new URL(script.src, location.href).origin;
  var perPage = parseInt(script.getAttribute("data-per-page") || "50", 10) || 50;
  var permalink = script.getAttribute("data-permalink") || location.href.split("#")[0];
  var articleFields = {article_title: script.getAttribute("data-title") || "",
                       article_section: script.getAttribute("data-section") || ""};
  var prefix = "mc-" + postId.replace(/[^A-Za-z0-9_-]/g, "_") + "-";
  var AWAITING = "Your comment is awaiting moderation. It will appear here once a moderator " +
                 "has checked it.";
  var CLOSED = "Comments are closed.";
  var UNREACHABLE = "Your comment could not be sent: the comments service did not answer. " +
                    "Please check your connection and send it again; what you wrote is kept.";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs.text; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  // The feed sends text and names HTML-escaped (for sites that use innerHTML); this page
  // inserts them as text, so they are unescaped first. DOMParser's documents run no scripts.
  function unescapeHtml(text) {
    return new DOMParser().parseFromString("<!doctype html><body>" + text, "text/html").body.textContent;
  }

  var host = document.getElementById(script.getAttribute("data-target") || "moderation-comments");
  if (!host) {
    host = el("div");
    script.parentNode.insertBefore(host, script.nextSibling);
  }
  if (!document.querySelector("link[data-moderation-embed]")) {
    document.head.appendChild(el("link", {rel: "stylesheet", href: origin + "/embed.css",
                                          "data-moderation-embed": ""}));
  }

  var POSTED_KEY = "moderation-embed-posted:" + postId;
  var POSTED_FOR_MS = 60000;  // well past the feed's max-age and stale-while-revalidate

  function postedRecently() {
    try {
      return Date.now() - Number(sessionStorage.getItem(POSTED_KEY) || 0) < POSTED_FOR_MS;
    } catch (e) {  // storage blocked: at worst the browser's copy shows for max-age seconds
      return false;
    }
  }

  function rememberPosted() {
    try { sessionStorage.setItem(POSTED_KEY, String(Date.now())); } catch (e) { /* see above */ }
  }

  var state = {page: 0, pages: 1, total: 0, loading: false};
  var heading = el("h2", {id: prefix + "title", text: "Comments"});
  var status = el("p", {"class": "mc-status", role: "status", "aria-live": "polite"});
  var list = el("ol", {"class": "mc-comments"});
  var more = el("button", {type: "button", "class": "mc-more", text: "Load more comments"});
  more.hidden = true;
  var form = buildForm();
  var section = el("section", {"class": "mc", "aria-labelledby": prefix + "title"},
                   [heading, status, list, more, form.block]);
  host.textContent = "";
  host.appendChild(section);

  function setTotal(total) {
    state.total = total;
    heading.textContent = total + (total === 1 ? " comment" : " comments");
  }

  function commentNode(comment) {
    var author = unescapeHtml(comment.author);
    var name = comment.url
      ? el("a", {href: unescapeHtml(comment.url), rel: "nofollow ugc", text: author})
      : el("strong", {text: author});
    var when = el("time", {datetime: comment.created_at,
                           text: new Date(comment.created_at).toLocaleString(undefined,
                                 {dateStyle: "long", timeStyle: "short"})});
    var text = el("div", {"class": "mc-text"});
    unescapeHtml(comment.text).split(/\n{2,}/).forEach(function (paragraph) {
      var p = el("p");
      paragraph.split("\n").forEach(function (line, i) {
        if (i) { p.appendChild(el("br")); }
        p.appendChild(document.createTextNode(line));
      });
      text.appendChild(p);
    });
    var reply = el("button", {type: "button", "class": "mc-reply",
                              "aria-label": "Reply to " + author, text: "Reply"});
    // The feed names each comment's report form; a comment the reader has just posted has none.
    var report = comment.report_page
      ? el("a", {href: comment.report_page, "class": "mc-report", rel: "nofollow",
                 "aria-label": "Report the comment by " + author, text: "Report"})
      : null;
    var children = el("ol", {"class": "mc-children"});
    var item = el("li", {"class": "mc-comment", id: prefix + "comment-" + comment.id},
                  [el("article", {"aria-label": "Comment by " + author},
                      [el("p", {"class": "mc-meta"}, [name, document.createTextNode(" \u00b7 "), when]),
                       text, reply, report]),
                   children]);
    reply.addEventListener("click", function () { form.replyTo(comment.id, author, item, reply); });
    (comment.replies || []).forEach(function (child) { children.appendChild(commentNode(child)); });
    return item;
  }

  // The thread stays; the form and the Reply buttons give way to the site's message.
  function closeComments() {
    if (section.classList.contains("mc-is-closed")) { return; }
    section.classList.add("mc-is-closed");
    form.block.parentNode.removeChild(form.block);
    section.appendChild(el("p", {"class": "mc-closed", id: prefix + "closed", text: CLOSED}));
  }

  function loadPage() {
    if (state.loading) { return; }
    state.loading = true;
    more.disabled = true;
    var url = origin + "/api/articles/" + encodeURIComponent(postId) + "/comments?page=" +
              (state.page + 1) + "&per_page=" + perPage;
    // The browser may keep the feed for its max-age; a reader who has just posted must not
    // be shown that older copy on the next load, so their loads revalidate for a while.
    fetch(url, {credentials: "omit", headers: {Accept: "application/json"},
                cache: postedRecently() ? "no-cache" : "default"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (feed) {
        state.page = feed.page;
        state.pages = feed.pages;
        setTotal(feed.total);
        if (feed.closed) { closeComments(); }
        var first = null;
        feed.comments.forEach(function (comment) {
          var node = commentNode(comment);
          first = first || node;
          list.appendChild(node);
        });
        more.hidden = state.page >= state.pages;
        if (state.page > 1 && first) {  // after "load more", keyboard users go on from there
          first.querySelector("article").setAttribute("tabindex", "-1");
          first.querySelector("article").focus();
        }
      })
      .catch(function () {
        status.textContent = "The comments could not be loaded just now. Please try again later.";
      })
      .then(function () { state.loading = false; more.disabled = false; });
  }
  more.addEventListener("click", loadPage);

  function buildForm() {
    var ids = {comment: prefix + "comment", author: prefix + "author", email: prefix + "email",
               url: prefix + "url"};
    var title = el("h3", {id: prefix + "reply-title", text: "Leave a reply"});
    var cancel = el("button", {type: "button", "class": "mc-cancel", text: "Cancel reply"});
    cancel.hidden = true;
    var errors = el("div", {"class": "mc-errors", role: "alert", tabindex: "-1"});
    errors.hidden = true;
    var fields = {
      comment: el("textarea", {id: ids.comment, name: "comment", rows: "6", maxlength: "10000",
                               "aria-required": "true"}),
      author: el("input", {id: ids.author, name: "author", type: "text", maxlength: "245",
                           autocomplete: "name", "aria-required": "true"}),
      email: el("input", {id: ids.email, name: "email", type: "email", maxlength: "100",
                          autocomplete: "email", "aria-required": "true"}),
      url: el("input", {id: ids.url, name: "url", type: "url", maxlength: "200",
                        autocomplete: "url"})
    };
    var submit = el("button", {type: "submit", "class": "mc-submit", text: "Post Comment"});
    var node = el("form", {"class": "mc-form", "aria-labelledby": prefix + "reply-title"}, [
      el("label", {"for": ids.comment, text: "Comment"}), fields.comment,
      el("label", {"for": ids.author, text: "Name *"}), fields.author,
      el("label", {"for": ids.email, text: "Email * (never published)"}), fields.email,
      el("label", {"for": ids.url, text: "Website"}), fields.url,
      el("p", {}, [submit])]);
    // The service checks the fields and answers in the site's own words; the browser's
    // built-in bubbles would stop the form first, in other words.
    node.noValidate = true;
    var block = el("div", {"class": "mc-respond", id: prefix + "respond"},
                   [title, cancel, errors, node]);
    var parent = {id: "0", button: null};

    function showErrors(messages, invalid) {
      Object.keys(fields).forEach(function (name) {
        fields[name].removeAttribute("aria-invalid");
        fields[name].removeAttribute("aria-describedby");
      });
      errors.textContent = "";
      errors.hidden = !messages.length;
      if (!messages.length) { return; }
      var ul = el("ul");
      messages.forEach(function (message) { ul.appendChild(el("li", {text: message})); });
      errors.appendChild(ul);
      errors.id = prefix + "errors";
      (invalid || []).forEach(function (name) {
        if (fields[name]) {
          fields[name].setAttribute("aria-invalid", "true");
          fields[name].setAttribute("aria-describedby", errors.id);
        }
      });
      errors.focus();
    }

    function replyTo(id, author, item, button) {
      parent = {id: String(id), button: button};
      title.textContent = "Reply to " + author;
      cancel.hidden = false;
      item.insertBefore(block, item.querySelector(".mc-children"));
      fields.comment.focus();
    }

    cancel.addEventListener("click", function () {
      var button = parent.button;
      parent = {id: "0", button: null};
      title.textContent = "Leave a reply";
      cancel.hidden = true;
      section.appendChild(block);
      if (button) { button.focus(); }
    });

    node.addEventListener("submit", function (event) {
      event.preventDefault();
      submit.disabled = true;
      var body = {comment_post_ID: postId, comment_parent: parent.id, permalink: permalink};
      Object.keys(articleFields).forEach(function (name) {
        if (articleFields[name]) { body[name] = articleFields[name]; }
      });
      Object.keys(fields).forEach(function (name) { body[name] = fields[name].value; });
      fetch(origin + "/api/comments", {
        method: "POST", credentials: "omit",
        headers: {"Content-Type": "application/json", Accept: "application/json"},
        body: JSON.stringify(body)
      })
        .then(function (response) {
          return response.json().then(function (answer) { return {ok: response.ok, answer: answer}; });
        })
        .then(function (result) {
          if (!result.ok) {
            var problems = result.answer.errors || [result.answer.error];
            showErrors(problems.map(function (e) { return e.message; }),
                       problems.map(function (e) { return e.field; }));
            return;
          }
          showErrors([]);
          accepted(result.answer, body);
        })
        .catch(function () { showErrors([UNREACHABLE]); })
        .then(function () { submit.disabled = false; });
    });

    function accepted(answer, sent) {
      fields.comment.value = "";
      rememberPosted();
      if (answer.status !== "published") {
        status.textContent = AWAITING + " ";
        // The commenter's private status link: what the moderators decide, and why.
        status.appendChild(el("a", {href: answer.status_url, rel: "nofollow", "class": "mc-status-link",
                                    text: "Follow your comment"}));
        status.appendChild(document.createTextNode(
          ": this private link shows what the moderators decided, and why. Keep it to yourself."));
        return;
      }
      var node = commentNode({id: answer.id, author: escapeText(sent.author),
                              url: sent.url ? escapeText(sent.url) : null,
                              text: escapeText(sent.comment), created_at: new Date().toISOString(),
                              replies: []});
      var item = block.parentNode.closest ? block.parentNode.closest(".mc-comment") : null;
      if (parent.id !== "0" && item) {
        item.querySelector(".mc-children").appendChild(node);
        cancel.click();
      } else {
        list.appendChild(node);
        setTotal(state.total + 1);
      }
      status.textContent = "Your comment is published.";
    }

    return {block: block, replyTo: replyTo};
  }

  // What the reader typed, in the feed's escaped form, so one renderer serves both.
  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  loadPage();
})();
