/*
 * The Backup panels' small scripts, loaded on every Horizon page (ADD_JS_FILES):
 *  - a policy's schedule: the next runs previewed while the cron expression, time zone or window change;
 *  - the restore wizard's Review step: a summary of the choices made in the other steps;
 *  - Restore a Volume: the default name of the volume chosen, until the person types their own;
 *  - a job's detail page: the step log refreshed while the job runs (its progress row polls by itself);
 *  - the Jobs tables: new jobs appear without a reload;
 *  - a workflow's field that the browser finds invalid on a hidden tab: that tab is shown, with the message.
 * Every text shown comes translated from the server (data attributes, option labels); nothing here needs gettext.
 */
(function ($) {
  'use strict';

  function schedulePreview($form) {
    var $box = $form.find('.storage-backup-schedule-preview');
    if (!$box.length) { return; }
    var url = $box.data('preview-url');
    var timer = null;
    function field(name) { return $form.find('[name="' + name + '"]'); }
    function refresh() {
      var schedule = $.trim(field('schedule').val() || '');
      var $list = $box.find('.storage-backup-next-runs');
      var $error = $box.find('.storage-backup-preview-error');
      if (!schedule) {
        $list.empty().append($('<li class="text-muted">').text($box.data('empty-label')));
        $error.text('');
        return;
      }
      $.getJSON(url, {
        schedule: schedule,
        timezone: field('timezone').val() || 'UTC',
        window_start: field('window_start').val() || '',
        window_end: field('window_end').val() || ''
      }).done(function (answer) {
        $list.empty();
        $.each(answer.runs || [], function (index, run) { $list.append($('<li>').text(run)); });
        $error.text(answer.error || '');
      });
    }
    $form.on('input change', '[name="schedule"], [name="timezone"], [name="window_start"], [name="window_end"]',
      function () {
        clearTimeout(timer);
        timer = setTimeout(refresh, 300);
      });
  }

  function selectedText($select) {
    return $.trim($select.find('option:selected').text());
  }

  function restoreReview($form) {
    var $review = $form.find('.storage-backup-restore-review');
    if (!$review.length) { return; }
    function fill() {
      var asBackedUp = $review.data('as-backed-up');
      $review.find('[data-review="name"]').text($form.find('[name="name"]').val() || '');
      $review.find('[data-review="availability_zone"]').text(selectedText($form.find('[name="availability_zone"]')));
      $review.find('[data-review="flavor_id"]').text(selectedText($form.find('[name="flavor_id"]')));
      var mode = $form.find('[name="mode"]:checked').val();
      var volumes = $form.find('[name="volumes"]:checked').map(function () {
        return $.trim($(this).closest('label').text());
      }).get();
      $review.find('[data-review="volumes"]').text(mode === 'volumes' ? volumes.join(', ') : $review.data('all-volumes'));
      var networks = $form.find('select[name^="network_"]').map(function () { return selectedText($(this)); }).get();
      $review.find('[data-review="networks"]').text(networks.join(', ') || '-');
      var types = $form.find('select[name^="volume_type_"]').map(function () {
        var $select = $(this);
        var value = $select.val() ? selectedText($select) : asBackedUp;
        return $select.data('volume-name') + ': ' + value;
      }).get();
      $review.find('[data-review="volume_types"]').text(types.join('; ') || '-');
      var names = $form.find('input[name^="volume_name_"]').map(function () {
        return $(this).data('volume-name') + ': ' + $.trim($(this).val() || '');
      }).get();
      $review.find('[data-review="volume_names"]').text(names.join('; ') || '-');
    }
    fill();
    $form.on('change input', 'input, select', fill);
    $form.closest('.modal, body').on('shown.bs.tab', 'a[data-toggle="tab"]', fill);
  }

  function jobLog() {
    // The progress row polls by itself (Horizon's UpdateRow, with a growing interval); the facts (error, restore
    // point made, restored instance or volume) and the step log follow here. What stops the polling is the fetched
    // page itself saying the job ended — not the progress row, which can end first (its last answer comes before
    // the result and the last steps are recorded) and left the log frozen half way.
    var $detail = $('.storage-backup-job-detail');
    if (!$detail.length || !isActive($detail.data('job-state'))) { return; }
    var interval = $detail.data('refresh-interval') || 3000;
    var busy = false;
    var timer = setInterval(function () {
      if (busy) { return; }
      busy = true;
      $.get(window.location.href).done(function (html) {
        var $fresh = $('<div>').append($.parseHTML(html)).find('.storage-backup-job-detail');
        if (!$fresh.length) { return; }
        $.each(['.storage-backup-job-facts', '.storage-backup-job-log'], function (index, selector) {
          var $part = $fresh.find(selector);
          if ($part.length) { $detail.find(selector).replaceWith($part); }
        });
        var state = $fresh.data('job-state');
        $detail.attr('data-job-state', state);
        if (!isActive(state)) {
          // The row too, at once, rather than at Horizon's next (possibly 30 s away) poll.
          var $row = $fresh.find('#jobs tbody tr');
          if ($row.length) { $detail.find('#jobs tbody tr').first().replaceWith($row.first()); }
          clearInterval(timer);
        }
      }).always(function () { busy = false; });
    }, interval);
  }

  function restoreVolumeName($form) {
    // Restore a Volume: the name field shows the chosen volume's default name; choosing another volume shows
    // that one's, unless the person has typed a name of their own.
    var $select = $form.find('select[data-default-names]');
    if (!$select.length) { return; }
    var defaults = $select.data('default-names') || {};
    var $name = $form.find('input[name="name"]');
    var shown = defaults[$select.val()] || '';
    $select.on('change', function () {
      var current = $name.val() || '';
      if (!current || current === shown) {
        shown = defaults[$select.val()] || '';
        $name.val(shown);
      }
    });
  }

  function jobList() {
    // The Jobs tables show jobs started elsewhere (a schedule, another user, the CLI) without a reload: the page
    // is fetched again now and then and, when it lists jobs this one does not, its rows replace these. Horizon's
    // own row polling then follows the new running rows. Nothing is replaced while a person has rows selected or a
    // row's action menu open.
    var $table = $('table.storage-backup-refresh-list').first();
    if (!$table.length || $table.closest('.storage-backup-job-detail').length) { return; }
    var interval = 10000;
    function ids($rows) {
      return $rows.map(function () { return $(this).attr('data-object-id'); }).get();
    }
    setInterval(function () {
      if (document.hidden) { return; }  // a tab nobody looks at asks nothing
      if ($table.find('.table-row-multi-select:checked').length || $table.find('.btn-group.open').length) { return; }
      $.get(window.location.href).done(function (html) {
        var $fresh = $('<div>').append($.parseHTML(html)).find('table#' + $table.attr('id'));
        if (!$fresh.length) { return; }
        var known = ids($table.find('tbody tr[data-object-id]'));
        var fresh = ids($fresh.find('tbody tr[data-object-id]'));
        var added = $.grep(fresh, function (id) { return $.inArray(id, known) < 0; });
        if (!added.length) { return; }
        var polling = $('tr.warning.ajax-update').length > 0;
        $table.find('tbody').replaceWith($fresh.find('tbody'));
        $table.find('tfoot').replaceWith($fresh.find('tfoot'));
        if (!polling) { horizon.datatables.update(); }  // Horizon's loop ends when no row is left to poll
      });
    }, interval);
  }

  function isActive(state) {
    return state === 'queued' || state === 'running';
  }

  function revealInvalidFields($form) {
    // A workflow's steps are tabs: the browser refuses to send a form whose field on a hidden tab is invalid (a
    // number out of range) and cannot point at that field, so nothing happened and nothing was said. The tab with
    // the field is shown instead, and the browser's own message appears at the field and under it.
    // Horizon's workflow steps are fieldsets of class js-tab-pane (Bootstrap's own tabs: tab-pane).
    var panes = '.js-tab-pane, .tab-pane';
    if (!$form.find(panes).length) { return; }
    $form.find('input, select, textarea').on('invalid', function () {
      var field = this;
      var $field = $(field);
      var $pane = $field.closest(panes);
      var $group = $field.closest('.form-group');
      $group.addClass('has-error');
      var $help = $group.find('.storage-backup-invalid');
      if (!$help.length) { $help = $('<span class="help-block storage-backup-invalid">').appendTo($group); }
      $help.text(field.validationMessage || '');
      $field.one('input change', function () {
        $group.removeClass('has-error');
        $help.remove();
      });
      if (!$form.data('storage-backup-revealing')) {
        // The first invalid field of a submission wins (shown, focused, the browser's bubble at it); the others
        // only get their message, and do not switch the tab away from it.
        $form.data('storage-backup-revealing', true);
        if ($pane.length && !$pane.hasClass('active')) {
          $('a[data-toggle="tab"][href="#' + $pane.attr('id') + '"]').tab('show');  // a step's ID is unique
        }
        setTimeout(function () {
          field.focus();
          if (field.reportValidity) { field.reportValidity(); }  // fires "invalid" again: still revealing
          $form.data('storage-backup-revealing', false);
        }, 0);
      }
    });
  }

  function init($root) {
    $root.find('form').each(function () {
      schedulePreview($(this));
      restoreReview($(this));
      restoreVolumeName($(this));
      revealInvalidFields($(this));
    });
  }

  horizon.modals.addModalInitFunction(function (modal) { init($(modal)); });
  horizon.addInitFunction(function () {
    init($(document));
    jobLog();
    jobList();
  });
}(jQuery));
