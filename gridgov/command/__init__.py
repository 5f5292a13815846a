"""Role home pages, dashboards, the map, tasks sent down, reports and assessment."""
