"""Running the ctxprof command line from Processing.

Every algorithm goes through run_ctxprof(): it finds the program (the
provider's setting, then PATH), runs it with QgsBlockingProcess (thread safe,
and it terminates the process when the feedback is cancelled), turns the
GDAL-style progress ticks that `--progress` prints on stderr into
feedback.setProgress(), forwards `ctxprof: ...` messages to the log at their
level, and raises QgsProcessingException with the engine's own message when it
exits with a non-zero status.
"""

import codecs
import glob
import json
import os
import re
import shlex
import shutil
import subprocess

from qgis.PyQt.QtCore import QProcess
from qgis.core import QgsBlockingProcess, QgsProcessingException

# Processing provider setting holding the path of the ctxprof program.
EXECUTABLE_SETTING = 'CTXPROF_EXECUTABLE'
EXECUTABLE_SETTING_LABEL = 'ctxprof executable'
SETTING_WHERE = 'Settings > Options > Processing > Providers > ctxprof'

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def configured_executable():
    """The provider setting's value ('' when unset or the provider is not loaded)."""
    try:
        from processing.core.ProcessingConfig import ProcessingConfig
    except ImportError:  # Processing plugin not loaded: only PATH applies
        return ''
    return (ProcessingConfig.getSetting(EXECUTABLE_SETTING) or '').strip()


def context_types():
    """The engine's context kinds (`ctxprof help contexts`: key, layer, title,
    link rule...), in registry order; [] when the program cannot say."""
    try:
        out = subprocess.run([find_ctxprof(), 'help', 'contexts'], capture_output=True,
                             text=True, timeout=30, check=True).stdout
        return json.loads(out)
    except (QgsProcessingException, OSError, ValueError, subprocess.SubprocessError):
        return []


def find_ctxprof():
    """Path of the ctxprof program: the provider setting, else PATH.

    Raises QgsProcessingException naming the setting when neither gives an
    executable file.
    """
    configured = configured_executable()
    if configured:
        path = os.path.expanduser(configured)
        if os.path.isdir(path):  # a folder holding the program is accepted too
            path = shutil.which('ctxprof', path=path) or os.path.join(path, 'ctxprof')
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
        raise QgsProcessingException(
            "The '{}' setting is '{}', which is not an executable file. Correct it in {}, "
            "or clear it to use the ctxprof on PATH.".format(
                EXECUTABLE_SETTING_LABEL, configured, SETTING_WHERE))
    found = shutil.which('ctxprof')
    if found:
        return found
    raise QgsProcessingException(
        "Cannot find the ctxprof program: the '{}' setting ({}) is empty and there is no "
        "ctxprof on PATH. Build ctxprof (its build puts the program in build/src/ctxprof) "
        "or install it, then set '{}' to the program's full path.".format(
            EXECUTABLE_SETTING_LABEL, SETTING_WHERE, EXECUTABLE_SETTING_LABEL))


class StderrParser:
    """Splits the engine's stderr into progress ticks and message lines.

    `--progress` writes GDAL's format, one piece at a time as work advances:
    ``0...10...20...30...40...50...60...70...80...90...100 - done.`` (each dot
    is 2.5%). A message line (``ctxprof: warning: ...``) can arrive between two
    ticks, and the pipe can split anything anywhere, so this is a small state
    machine fed with arbitrary chunks rather than a match on whole reads.
    """

    _number = re.compile(r'\d+')
    _done = ' - done.'

    def __init__(self, feedback):
        self.feedback = feedback
        self.progress = 0.0
        self._started = False
        self.pending = ''
        self.messages = []  # (level, text): level in debug, info, warning, error, other
        self._decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')

    # QgsBlockingProcess hands over a QByteArray.
    def feed_bytes(self, data):
        self.feed(self._decoder.decode(bytes(data)))

    def close(self):
        self.feed(self._decoder.decode(b'', final=True))
        if self.pending.strip():  # a last message without its newline
            self._message(self.pending)
        self.pending = ''

    def feed(self, text):
        self.pending += text
        while self.pending:
            if not self._step():
                break

    def _set_progress(self, value):
        value = max(0.0, min(100.0, value))
        if value != self.progress or not self._started:
            self._started = True
            self.progress = value
            self.feedback.setProgress(value)

    def _step(self):
        """Consumes one token from self.pending; False when it needs more input."""
        p = self.pending
        c = p[0]
        if c in '\r\n':
            self.pending = p[1:]
            return True
        if c == '.':
            # A dot is a 2.5% tick; it never crosses the next decade, which
            # the next number will set exactly.
            nxt = (int(self.progress // 10) + 1) * 10
            self._set_progress(min(self.progress + 2.5, nxt))
            self.pending = p[1:]
            return True
        if c.isdigit():
            m = self._number.match(p)
            digits = m.group(0)
            if m.end() == len(p) and self._may_continue(digits):
                return False  # "1" of "10", "10" of "100": wait for the next character
            self._set_progress(float(int(digits)))
            self.pending = p[m.end():]
            return True
        if c == ' ' and (p.startswith(self._done) or self._done.startswith(p)):
            if len(p) < len(self._done):
                return False
            self._set_progress(100.0)
            self.pending = p[len(self._done):]
            return True
        # Anything else starts a message line.
        end = min((i for i in (p.find('\n'), p.find('\r')) if i >= 0), default=-1)
        if end < 0:
            return False
        self._message(p[:end])
        self.pending = p[end + 1:]
        return True

    def _may_continue(self, digits):
        # Ticks come in order, so the number being written is the next
        # decade: "2" may become "20", "10" may become "100" only after 90.
        nxt = '0' if not self._started else str(int(self.progress // 10 + 1) * 10)
        return len(digits) < len(nxt) and nxt.startswith(digits)

    def _message(self, line):
        line = line.strip()
        if not line:
            return
        fb = self.feedback
        if line.startswith('ctxprof: '):
            text = line[len('ctxprof: '):]
            for level, report in (('error', fb.reportError), ('warning', fb.pushWarning),
                                  ('debug', fb.pushDebugInfo)):
                if text.startswith(level + ': '):
                    text = text[len(level) + 2:]
                    self.messages.append((level, text))
                    report(text)
                    return
            self.messages.append(('info', text))
            fb.pushInfo(text)
        else:  # e.g. a GDAL or PROJ message written straight to stderr
            self.messages.append(('other', line))
            fb.pushConsoleInfo(line)

    def failure_message(self):
        """The engine's explanation of a failure: its error lines and its last plain line."""
        errors = [t for lvl, t in self.messages if lvl == 'error']
        plain = [t for lvl, t in self.messages if lvl in ('info', 'other')]
        parts = errors + ([plain[-1]] if plain and plain[-1] not in errors else [])
        return '\n'.join(parts)


class EngineResult:
    def __init__(self, returncode, stdout, messages, cancelled):
        self.returncode = returncode
        self.stdout = stdout
        self.messages = messages
        self.cancelled = cancelled

    def json(self):
        """The `--json` summary printed on stdout."""
        try:
            return json.loads(self.stdout)
        except ValueError as e:
            raise QgsProcessingException(
                'ctxprof printed no valid JSON summary ({}): {!r}'.format(e, self.stdout[:200]))


def remove_partial_outputs(target):
    """Removes the temporary files a terminated run left beside `target`.

    The engine writes `.NAME.tmp-PID.gpkg` and renames it into place when
    complete; terminated, it leaves that file. Only files of processes that
    no longer exist are removed, so a concurrent run is never touched.
    """
    if not target:
        return []
    folder, name = os.path.split(os.path.abspath(target))
    removed = []
    pattern = os.path.join(glob.escape(folder), '.' + glob.escape(name) + '.tmp-*.gpkg')
    for path in glob.glob(pattern) + glob.glob(pattern + '-*'):
        m = re.search(r'\.tmp-(\d+)\.gpkg(-\w+)?$', path)
        if not m:
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # still running: not ours to remove
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, ValueError):
            continue
        try:
            os.remove(path)
            removed.append(path)
        except OSError:
            pass
    return removed


def run_ctxprof(args, feedback, partial_output=None):
    """Runs `ctxprof ARGS...`, reporting through `feedback`.

    Returns an EngineResult (stdout text, messages, cancelled flag). Raises
    QgsProcessingException with the engine's message when the program cannot
    be found or started, crashes, or exits with a non-zero status.
    `partial_output`: the output the command writes, whose temporary file is
    removed if the run is cancelled.
    """
    exe = find_ctxprof()
    args = [str(a) for a in args]
    feedback.pushCommandInfo(' '.join(shlex.quote(a) for a in [exe] + args))

    parser = StderrParser(feedback)
    stdout = bytearray()
    if feedback.isCanceled():  # QgsBlockingProcess only reacts to a later cancel
        return EngineResult(None, '', [], True)

    # QGIS 3.22's bindings keep only a borrowed reference to the handlers:
    # they must stay referenced here until run() returns, or a temporary
    # (a lambda, a bound method) is freed and the process thread crashes.
    def on_stdout(ba):
        stdout.extend(bytes(ba))

    on_stderr = parser.feed_bytes
    proc = QgsBlockingProcess(exe, args)
    proc.setStdOutHandler(on_stdout)
    proc.setStdErrHandler(on_stderr)
    rc = proc.run(feedback)
    del on_stdout, on_stderr
    parser.close()
    out = stdout.decode('utf-8', errors='replace')

    if feedback.isCanceled():
        removed = remove_partial_outputs(partial_output)
        feedback.pushInfo('ctxprof was cancelled and stopped; no output was written{}.'.format(
            ' (removed its partial file)' if removed else ''))
        return EngineResult(rc, out, parser.messages, True)
    if proc.processError() == QProcess.FailedToStart:
        raise QgsProcessingException(
            'Cannot start {}: it is missing or not executable (check the \'{}\' setting in {}).'
            .format(exe, EXECUTABLE_SETTING_LABEL, SETTING_WHERE))
    if proc.exitStatus() == QProcess.CrashExit:
        msg = parser.failure_message()
        raise QgsProcessingException('ctxprof stopped unexpectedly (crashed){}'.format(
            ': ' + msg if msg else ''))
    if rc != EXIT_OK:
        msg = parser.failure_message() or 'no message'
        if rc == EXIT_USAGE:
            # The plugin built a command line this ctxprof does not accept:
            # most likely a plugin and engine of different versions.
            msg += ' (usage error: is this ctxprof the version the plugin expects? see ctxprof --version)'
        raise QgsProcessingException('ctxprof failed (exit status {}): {}'.format(rc, msg))
    return EngineResult(rc, out, parser.messages, False)


def ctxprof_version():
    """First line of `ctxprof --version`, or None."""
    try:
        exe = find_ctxprof()
    except QgsProcessingException:
        return None
    out = bytearray()

    def on_stdout(ba):
        out.extend(bytes(ba))

    def on_stderr(ba):
        pass

    proc = QgsBlockingProcess(exe, ['--version'])
    proc.setStdOutHandler(on_stdout)  # referenced until run() returns: see run_ctxprof
    proc.setStdErrHandler(on_stderr)
    if proc.run() != 0:
        return None
    lines = out.decode('utf-8', errors='replace').splitlines()
    return lines[0].strip() if lines else None
