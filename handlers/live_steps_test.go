package handlers_test

import (
	"testing"

	"github.com/respond/bulkjobs/web/webtest"
)

// stepFeeds runs the refresher's own timers once (see webtest.StepFeeds).
func stepFeeds(t *testing.T, app *webtest.App) { app.StepFeeds(t) }

// feeds is how many feeds the app's refresher runs.
func feeds(app *webtest.App) int { return app.Live.Feeds() }
