/*
 * The Backup panels' small scripts, loaded on every Horizon page (ADD_JS_FILES):
 *  - a policy's schedule: the next runs previewed while the cron expression, time zone or window change;
 *  - the restore wizard's Review step: a summary of the choices made in the other steps;
 *  - a job's detail page: the step log refreshed while the job runs (its progress row polls by itself).
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
    }
    fill();
    $form.on('change input', 'input, select', fill);
    $form.closest('.modal, body').on('shown.bs.tab', 'a[data-toggle="tab"]', fill);
  }

  function jobLog() {
    // The progress row polls by itself (Horizon's UpdateRow); the facts (error, restore point made, restored
    // instance) and the step log follow it here, once more after the job ended.
    var $detail = $('.storage-backup-job-detail');
    if (!$detail.length) { return; }
    var timer = setInterval(function () {
      var running = $detail.find('#jobs tr.warning.ajax-update').length > 0;
      $.get(window.location.href).done(function (html) {
        var $fresh = $(html);
        $.each(['.storage-backup-job-facts', '.storage-backup-job-log'], function (index, selector) {
          var $part = $fresh.find(selector);
          if ($part.length) { $detail.find(selector).replaceWith($part); }
        });
      });
      if (!running) { clearInterval(timer); }
    }, 3000);
  }

  function init($root) {
    $root.find('form').each(function () {
      schedulePreview($(this));
      restoreReview($(this));
    });
  }

  horizon.modals.addModalInitFunction(function (modal) { init($(modal)); });
  horizon.addInitFunction(function () {
    init($(document));
    jobLog();
  });
}(jQuery));
