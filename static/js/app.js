// app.js: the little behaviour htmx does not cover. No framework, no eval, no
// inline handlers: everything is delegated from document, so content that htmx
// swaps in works without re-binding. The pages work without this file except
// for live updates and the modal dialog.
(function () {
  'use strict';

  var POLLERS = '[hx-trigger*="every"]';

  // isPoll reports whether elt polls (its hx-trigger has "every").
  function isPoll(elt) {
    var trigger = elt && elt.getAttribute ? elt.getAttribute('hx-trigger') : null;
    return !!trigger && trigger.indexOf('every') !== -1;
  }

  // loading is the opener whose dialog is being fetched, or null.
  var loading = null;

  // dialogOpen reports whether a dialog is open, or being fetched to open.
  function dialogOpen() {
    return loading !== null || document.querySelector('dialog[open]') !== null;
  }

  // catchUp refreshes every poller at once (the list region or a live card),
  // after the tab is shown again or a dialog closed.
  function catchUp() {
    if (document.hidden || dialogOpen() || !window.htmx) {
      return;
    }
    document.querySelectorAll(POLLERS).forEach(function (el) {
      window.htmx.trigger(el, 'refresh');
    });
  }

  // abortPolls drops poll requests in flight, so an answer that was already
  // on its way cannot replace the card under a dialog that is opening.
  function abortPolls() {
    if (!window.htmx) {
      return;
    }
    document.querySelectorAll(POLLERS).forEach(function (el) {
      window.htmx.trigger(el, 'htmx:abort');
    });
  }

  // (c) Polling pauses in hidden tabs and while a dialog is open: a poll
  // would replace the card that holds the open dialog.
  document.addEventListener('htmx:confirm', function (evt) {
    if (isPoll(evt.detail.elt) && (document.hidden || dialogOpen())) {
      evt.preventDefault(); // htmx sends nothing; the next tick asks again
    }
  });

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) {
      catchUp();
    }
  });

  // "close" does not bubble: listen in the capture phase.
  document.addEventListener('close', function (evt) {
    if (evt.target instanceof HTMLDialogElement) {
      window.setTimeout(catchUp, 0);
    }
  }, true);

  // (a) Dialogs and (b) copy link, by delegation.
  document.addEventListener('click', function (evt) {
    var target = evt.target instanceof Element ? evt.target : null;
    if (!target) {
      return;
    }

    var opener = target.closest('[data-open-dialog]');
    if (opener) {
      // Let modified clicks open the no-JS confirmation page in a new tab.
      if (evt.button !== 0 || evt.metaKey || evt.ctrlKey || evt.shiftKey || evt.altKey) {
        return;
      }
      if (openDialog(opener)) {
        evt.preventDefault();
      }
      return; // without <dialog> support the link opens the confirmation page
    }

    var closer = target.closest('[data-close-dialog]');
    if (closer) {
      var owner = closer.closest('dialog');
      if (owner) {
        evt.preventDefault();
        owner.close(); // the browser returns focus to the opener
      }
      return;
    }

    var copier = target.closest('[data-copy]');
    if (copier) {
      evt.preventDefault();
      copyLink(copier);
    }
  });

  // canOpen reports whether the opener's dialog can be loaded and shown:
  // the page has the dialog host, the browser has <dialog> and htmx is
  // there. Otherwise the link opens the confirmation page.
  function canOpen(opener) {
    return !!document.getElementById('dialog-host') && !!opener.getAttribute('data-dialog-url') &&
      typeof HTMLDialogElement === 'function' && typeof HTMLDialogElement.prototype.showModal === 'function' &&
      !!window.htmx;
  }

  // openDialog loads the opener's dialog (data-dialog-url, the confirmation
  // with the job's latest counts) into the page's one dialog host and
  // reports whether it will show it. It is shown once htmx has processed it
  // (htmx:load below): before that its form would post without htmx. Polls
  // pause from the start: an answer on its way could replace the card while
  // the dialog opens. When the dashboard cannot be reached the link's
  // confirmation page opens instead; when it answers without a dialog (the
  // job finished meanwhile) #flash says why.
  function openDialog(opener) {
    if (!canOpen(opener)) {
      return false;
    }
    var id = opener.getAttribute('data-open-dialog');
    var current = document.getElementById(id);
    if (loading !== null || (current && current.open)) {
      return true;
    }
    loading = opener;
    abortPolls();
    var host = document.getElementById('dialog-host');
    host.textContent = ''; // only the answer may put a dialog here
    // htmx's default swap: the fetched dialog becomes the host's content.
    window.htmx.ajax('GET', opener.getAttribute('data-dialog-url'), { target: host }).then(function () {
      var dialog = document.getElementById(id);
      if (loading === opener && !(dialog && host.contains(dialog))) {
        loading = null; // no dialog came
        window.setTimeout(catchUp, 0);
      }
    }, function () {
      loading = null;
      window.location.assign(opener.href);
    });
    return true;
  }

  // A loaded dialog opens when htmx has processed it.
  document.addEventListener('htmx:load', function (evt) {
    var dialog = evt.target;
    if (loading !== null && dialog instanceof HTMLDialogElement && !dialog.open &&
        dialog.id === loading.getAttribute('data-open-dialog')) {
      loading = null;
      clearDialogError(dialog);
      dialog.showModal(); // focus goes to the autofocus button: "Keep job running"
    }
  });

  // Keyboard on an opener. The opener is a link, so that it works without
  // JavaScript, and a link acts on Enter's keydown. Opening the dialog there
  // moved the focus to "Keep job running" while the keystroke was still
  // under way: its keypress then reached that button, which clicks on
  // Enter's keypress, and the dialog closed again some 30 ms after it
  // opened. (A button clicks on Space's keyup the same way.) So the opener
  // acts at the end of the keystroke, as a button does for Space: the
  // keydown is cancelled (no link activation, no page scroll) and the keyup
  // of the same key on the same opener opens the dialog, when nothing of
  // that keystroke is left to land on the dialog's buttons. A held key
  // repeats only keydowns on the opener, so it opens the dialog once.
  var pressedKey = null; // {key, dialog}: a key that went down on an opener

  function plainActivation(evt) {
    return (evt.key === 'Enter' || evt.key === ' ') &&
      !evt.altKey && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey;
  }

  function openerOf(evt) {
    return evt.target instanceof Element ? evt.target.closest('[data-open-dialog]') : null;
  }

  document.addEventListener('keydown', function (evt) {
    var opener = openerOf(evt);
    if (!opener || !plainActivation(evt) || !canOpen(opener)) {
      return; // modified keys keep the link's own behaviour (new tab, …)
    }
    evt.preventDefault();
    if (!evt.repeat) {
      pressedKey = { key: evt.key, dialog: opener.getAttribute('data-open-dialog') };
    }
  });

  document.addEventListener('keyup', function (evt) {
    if (evt.key !== 'Enter' && evt.key !== ' ') {
      return;
    }
    var pressed = pressedKey;
    pressedKey = null;
    // A poll may have replaced the card (and the opener, whose focus htmx
    // restores by id) between keydown and keyup: match by dialog id.
    var opener = openerOf(evt);
    if (pressed && opener && pressed.key === evt.key && pressed.dialog === opener.getAttribute('data-open-dialog')) {
      evt.preventDefault();
      openDialog(opener);
    }
  });

  // copyLink copies the button's data-copy text. Without the clipboard API
  // (plain HTTP, old browser, denied permission) it selects the read-only
  // field named by data-copy-fallback so the analyst can press Ctrl+C.
  function copyLink(button) {
    var text = button.getAttribute('data-copy') || '';
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        feedback(button, 'Copied', 'Link copied to the clipboard.');
      }, function () {
        selectFallback(button);
      });
    } else {
      selectFallback(button);
    }
  }

  function selectFallback(button) {
    var input = document.getElementById(button.getAttribute('data-copy-fallback') || '');
    if (input) {
      input.focus();
      input.select();
      feedback(button, 'Press Ctrl+C', 'Link selected: press Ctrl+C (or Cmd+C) to copy it.');
    }
  }

  // feedback shows label on the button for two seconds and announces message
  // in the nearby status region.
  function feedback(button, label, message) {
    if (!button.hasAttribute('data-label')) {
      button.setAttribute('data-label', button.textContent);
    }
    button.textContent = label;
    var status = button.parentElement ? button.parentElement.querySelector('[data-copy-status]') : null;
    if (status) {
      status.textContent = message;
    }
    window.clearTimeout(Number(button.getAttribute('data-timer')) || 0);
    var timer = window.setTimeout(function () {
      button.textContent = button.getAttribute('data-label');
      if (status) {
        status.textContent = '';
      }
    }, 2000);
    button.setAttribute('data-timer', String(timer));
  }

  // After a cancel from a dialog: the answer replaces the whole card. The
  // dialog goes with it, as if it were part of the card (removed, not
  // closed: no catch-up poll replaces the answer at once), and focus moves
  // to the card's notice or error, or the card, so keyboard and
  // screen-reader users are not left on <body>. The form's data-card names
  // the card.
  var focusCardID = null;
  var focusCard = null; // the card's element when the cancel was sent

  document.addEventListener('htmx:beforeRequest', function (evt) {
    var elt = evt.detail.elt;
    var form = elt && elt.closest ? elt.closest('dialog form[data-card]') : null;
    if (form) {
      focusCardID = form.getAttribute('data-card');
      focusCard = document.getElementById(focusCardID);
      clearDialogError(form.closest('dialog'));
    }
  });

  document.addEventListener('htmx:afterSettle', function () {
    if (!focusCardID) {
      return;
    }
    var card = document.getElementById(focusCardID);
    var before = focusCard;
    focusCardID = null;
    focusCard = null;
    var open = document.querySelector('#dialog-host dialog[open]');
    if (open && card === before) {
      // The card was not replaced (for example only #flash changed): show
      // the message inside the dialog, where the analyst is looking.
      var flash = document.getElementById('flash');
      var text = flash ? flash.textContent.trim() : '';
      showDialogError(open, text || 'The job was not cancelled. Try again.');
      return;
    }
    if (open) {
      open.remove();
    }
    if (card) {
      var target = card.querySelector('[data-testid="card-error"], [data-testid="card-notice"]') || card;
      target.focus();
    }
  });

  // A refresh replaces the list or card under the keyboard focus. htmx puts
  // focus back on an element with the same id; for one without an id (a
  // notice), fall back to the nearest focusable ancestor with an id (the card).
  // A list poll replaces changed cards out of band, after the main swap's
  // beforeSwap: both are checked.
  var keepFocusID = null;

  function keepFocus(target) {
    var active = document.activeElement;
    if (active && active !== document.body && !active.id && target && target.contains(active)) {
      var holder = active.parentElement ? active.parentElement.closest('[id][tabindex]') : null;
      keepFocusID = holder ? holder.id : null;
    }
  }

  document.addEventListener('htmx:beforeSwap', function (evt) {
    keepFocusID = null;
    keepFocus(evt.detail.target);
  });

  document.addEventListener('htmx:oobBeforeSwap', function (evt) {
    keepFocus(evt.detail.target);
  });

  document.addEventListener('htmx:afterSettle', function () {
    var id = keepFocusID;
    keepFocusID = null;
    if (id && (!document.activeElement || document.activeElement === document.body)) {
      var el = document.getElementById(id);
      if (el) {
        el.focus({ preventScroll: true });
      }
    }
  });

  // The request never got an answer: keep the dialog, say so, allow a retry.
  function requestFailed(evt) {
    var elt = evt.detail.elt;
    var dialog = elt && elt.closest ? elt.closest('dialog') : null;
    if (dialog) {
      focusCardID = null;
      showDialogError(dialog, 'The dashboard could not be reached, so the cancel may or may not have been sent. Reload the page to see the job as it is now.');
    }
  }
  document.addEventListener('htmx:sendError', requestFailed);
  document.addEventListener('htmx:timeout', requestFailed);

  function showDialogError(dialog, message) {
    var box = dialog.querySelector('[data-dialog-error]');
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
  }

  function clearDialogError(dialog) {
    var box = dialog ? dialog.querySelector('[data-dialog-error]') : null;
    if (box) {
      box.textContent = '';
      box.hidden = true;
    }
  }
})();
